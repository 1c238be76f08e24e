/**
 * Deliberately bad code in a protocol package, for ferry-arch's tests only: each class breaks one
 * rule in every way the rule names (a method per way), next to code that keeps it.
 */
package io.ferry.sync.archfixture;
