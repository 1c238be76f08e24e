/**
 * Who provides a dataset: signed, expiring provider records on the gossip plane ({@link
 * io.ferry.blocks.discovery.ProviderRecords}), and dialling a provider by the contact info it
 * gossips.
 */
package io.ferry.blocks.discovery;
