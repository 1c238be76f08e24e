package io.ferry.core.identity;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.ErrorCode;
import io.ferry.core.Hex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyFileTest {
  private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String END = "-----END PRIVATE KEY-----";
  private static final String PKCS8_PREFIX = "302e020100300506032b657004220420";

  @TempDir Path dir;

  private static String pem(byte[] der) {
    return BEGIN + "\n" + Base64.getEncoder().encodeToString(der) + "\n" + END + "\n";
  }

  /** Writes {@code content} as a key file with owner-only permissions, as a key file would be. */
  private Path keyFile(String name, byte[] content) throws IOException {
    Path path = dir.resolve(name);
    Files.write(path, content);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    return path;
  }

  private Path keyFile(String name, String content) throws IOException {
    return keyFile(name, content.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void writeThenLoad() {
    Path path = dir.resolve("node.key");
    NodeKey key = NodeKey.generate();
    KeyFile.write(path, key);
    NodeKey loaded = KeyFile.load(path);
    assertThat(loaded).isEqualTo(key);
    assertThat(loaded.id()).isEqualTo(key.id());
    assertThat(loaded.toPkcs8()).isEqualTo(key.toPkcs8());
  }

  @Test
  void writtenFileIsOwnerReadWriteOnly() throws IOException {
    Path path = dir.resolve("node.key");
    KeyFile.write(path, NodeKey.generate());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        .isEqualTo("rw-------");
  }

  @Test
  void writtenFileIsPemWithNoTemporaryFilesLeft() throws IOException {
    Path path = dir.resolve("node.key");
    NodeKey key = NodeKey.fromSeed(Hex.decode(NodeKeyTest.RFC_SEED_1));
    KeyFile.write(path, key);
    String text = Files.readString(path, StandardCharsets.US_ASCII);
    assertThat(text).isEqualTo(pem(Hex.decode(PKCS8_PREFIX + NodeKeyTest.RFC_SEED_1)));
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(path);
    }
  }

  @Test
  void writeCreatesMissingDirectories() {
    Path path = dir.resolve("a/b/c/node.key");
    NodeKey key = NodeKey.generate();
    KeyFile.write(path, key);
    assertThat(KeyFile.load(path)).isEqualTo(key);
  }

  @Test
  void loadOrCreateCreatesThenReloads() throws IOException {
    Path path = dir.resolve("data/node.key");
    assertThat(path).doesNotExist();
    NodeKey created = KeyFile.loadOrCreate(path);
    assertThat(path).isRegularFile();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        .isEqualTo("rw-------");
    NodeKey again = KeyFile.loadOrCreate(path);
    assertThat(again).isEqualTo(created);
    assertThat(again.id()).isEqualTo(created.id());
    assertThat(KeyFile.load(path).id()).isEqualTo(created.id());
  }

  @Test
  void loadOrCreateDoesNotReplaceACorruptKey() throws IOException {
    Path path = keyFile("node.key", "not a key");
    assertFerryError(() -> KeyFile.loadOrCreate(path), ErrorCode.CORRUPT_DATA);
    assertThat(Files.readString(path)).isEqualTo("not a key");
  }

  @Test
  void writeRefusesToOverwrite() throws IOException {
    Path path = dir.resolve("node.key");
    NodeKey original = NodeKey.generate();
    KeyFile.write(path, original);
    byte[] before = Files.readAllBytes(path);

    NodeKey other = NodeKey.generate();
    assertFerryError(() -> KeyFile.write(path, other), ErrorCode.ILLEGAL_STATE)
        .contains(path.toString())
        .contains("already exists");

    assertThat(Files.readAllBytes(path)).isEqualTo(before);
    assertThat(KeyFile.load(path)).isEqualTo(original);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).as("no temporary file is left behind").containsExactly(path);
    }
  }

  @Test
  void loadOfMissingFileIsNotFound() {
    Path path = dir.resolve("missing/node.key");
    assertFerryError(() -> KeyFile.load(path), ErrorCode.NOT_FOUND).contains(path.toString());
    assertFerryError(() -> KeyFile.load(dir.resolve("node.key")), ErrorCode.NOT_FOUND);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw-----w-", "rw------x"})
  void fileOthersCanAccessIsPermissionDenied(String mode) throws IOException {
    Path path = dir.resolve("node.key");
    NodeKey key = NodeKey.generate();
    KeyFile.write(path, key);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    assertFerryError(() -> KeyFile.load(path), ErrorCode.PERMISSION_DENIED)
        .contains(path.toString())
        .contains(mode)
        .contains("chmod 600");
    assertFerryError(() -> KeyFile.loadOrCreate(path), ErrorCode.PERMISSION_DENIED);
    // Fixing the mode as the message says makes the same file load.
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    assertThat(KeyFile.load(path)).isEqualTo(key);
  }

  @ParameterizedTest
  @ValueSource(strings = {"r--------", "rw-------", "rwx------"})
  void ownerOnlyModesAreAccepted(String mode) throws IOException {
    // The documented rule: refused only if group or others have any access.
    Path path = dir.resolve("node.key");
    NodeKey key = NodeKey.generate();
    KeyFile.write(path, key);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    assertThat(KeyFile.load(path)).isEqualTo(key);
  }

  @Test
  void opensslGenpkeyFormatLoads() throws IOException {
    // The PEM `openssl genpkey -algorithm ed25519` writes: RFC 8410 PKCS#8, one base64 line.
    Path path = keyFile("rfc.key", pem(Hex.decode(PKCS8_PREFIX + NodeKeyTest.RFC_SEED_1)));
    NodeKey key = KeyFile.load(path);
    assertThat(key.id()).isEqualTo(NodeKey.fromSeed(Hex.decode(NodeKeyTest.RFC_SEED_1)).id());
    assertThat(key.id()).hasToString(NodeKeyTest.RFC_ID_1);
    assertThat(Hex.encode(key.id().publicKey())).isEqualTo(NodeKeyTest.RFC_PUBLIC_1);
  }

  @Test
  void realOpensslOutputLoads() throws IOException {
    // Verbatim output of `openssl genpkey -algorithm ed25519` (OpenSSL 3); its public key as
    // printed by `openssl pkey -pubout`.
    Path path =
        keyFile(
            "openssl.key",
            BEGIN
                + "\nMC4CAQAwBQYDK2VwBCIEIEQ1nTI0yPE0r3NdjZiuqLnxRn3T99TPHO2ZftKFObjN\n"
                + END
                + "\n");
    NodeKey key = KeyFile.load(path);
    assertThat(Hex.encode(key.id().publicKey()))
        .isEqualTo("144b54998c7571ee5d2119d0a0d19ee148bc864a865a8fef2c4dd08eaf582ba0");
  }

  @Test
  void crlfAndWrappedPemLoads() throws IOException {
    NodeKey key = NodeKey.fromSeed(Hex.decode(NodeKeyTest.RFC_SEED_1));
    String b64 = Base64.getEncoder().encodeToString(key.toPkcs8());
    String wrapped =
        BEGIN + "\r\n" + b64.substring(0, 20) + "\r\n" + b64.substring(20) + "\r\n" + END + "\r\n";
    assertThat(KeyFile.load(keyFile("crlf.key", wrapped))).isEqualTo(key);
  }

  static Stream<Arguments> corruptFiles() throws Exception {
    byte[] rfcDer = Hex.decode(PKCS8_PREFIX + NodeKeyTest.RFC_SEED_1);
    String valid = pem(rfcDer);
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    byte[] rsaDer = rsa.generateKeyPair().getPrivate().getEncoded();
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(256);
    byte[] ecDer = ec.generateKeyPair().getPrivate().getEncoded();
    byte[] random48 = new byte[48];
    new SplittableRandom(7).nextBytes(random48);
    byte[] binary = new byte[300];
    new SplittableRandom(8).nextBytes(binary);
    byte[] lowBinary = new byte[300];
    for (int i = 0; i < lowBinary.length; i++) {
      lowBinary[i] = (byte) (i % 32); // control characters only: decodes as ASCII
    }
    return Stream.of(
        Arguments.of("empty file", new byte[0]),
        Arguments.of("whitespace only", ascii("\n\n  \n")),
        Arguments.of("garbage text", ascii("hello, I am not a key\n")),
        Arguments.of("raw hex seed", ascii(NodeKeyTest.RFC_SEED_1 + "\n")),
        Arguments.of("header only", ascii(BEGIN + "\n")),
        Arguments.of("no footer", ascii(BEGIN + "\n" + valid.split("\n")[1] + "\n")),
        Arguments.of("no header", ascii(valid.split("\n")[1] + "\n" + END + "\n")),
        Arguments.of("header and footer overlap", ascii(BEGIN + "END PRIVATE KEY-----\n")),
        Arguments.of("header and footer only", ascii(BEGIN + END + "\n")),
        Arguments.of("non-base64 body", ascii(BEGIN + "\n!!!! not base64 @@@@\n" + END + "\n")),
        Arguments.of("bad base64 padding", ascii(BEGIN + "\nQ===\n" + END + "\n")),
        Arguments.of("public key block", ascii(valid.replace("PRIVATE", "PUBLIC"))),
        Arguments.of("RSA private key", ascii(pem(rsaDer))),
        Arguments.of("EC private key", ascii(pem(ecDer))),
        Arguments.of("random 48 bytes", ascii(pem(random48))),
        Arguments.of(
            "X25519 private key",
            ascii(pem(Hex.decode("302e020100300506032b656e04220420" + NodeKeyTest.RFC_SEED_1)))),
        Arguments.of("truncated DER", ascii(pem(Arrays.copyOf(rfcDer, 40)))),
        Arguments.of("DER with trailing byte", ascii(pem(Arrays.copyOf(rfcDer, 49)))),
        Arguments.of("binary junk", binary),
        Arguments.of("binary control characters", lowBinary),
        Arguments.of("oversize file", ascii(valid + "#".repeat(5000))),
        Arguments.of("oversize whitespace", ascii(valid + " ".repeat(5000))));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptFiles")
  void corruptFileIsCorruptData(String what, byte[] content) throws IOException {
    Path path = keyFile("node.key", content);
    assertFerryError(() -> KeyFile.load(path), ErrorCode.CORRUPT_DATA)
        .startsWith("key file " + path)
        .contains("not a valid Ed25519 node key");
    // loadOrCreate must not replace a corrupt identity with a fresh one.
    assertFerryError(() -> KeyFile.loadOrCreate(path), ErrorCode.CORRUPT_DATA);
    assertThat(Files.readAllBytes(path)).isEqualTo(content);
  }

  @Test
  void everyTruncationOfAValidFileIsCorruptData() throws IOException {
    Path full = dir.resolve("full.key");
    KeyFile.write(full, NodeKey.fromSeed(Hex.decode(NodeKeyTest.RFC_SEED_1)));
    byte[] bytes = Files.readAllBytes(full);
    assertThat(bytes[bytes.length - 1]).isEqualTo((byte) '\n');
    // Dropping only the final newline still leaves a complete PEM block.
    List<Integer> lengths = new java.util.ArrayList<>();
    for (int length = 0; length < bytes.length - 1; length++) {
      lengths.add(length);
    }
    for (int length : lengths) {
      Path path = keyFile("t" + length + ".key", Arrays.copyOf(bytes, length));
      assertFerryError(() -> KeyFile.load(path), ErrorCode.CORRUPT_DATA)
          .as("truncated to %d bytes", length)
          .contains("not a valid Ed25519 node key");
    }
    Path noNewline = keyFile("nl.key", Arrays.copyOf(bytes, bytes.length - 1));
    assertThat(KeyFile.load(noNewline).id()).hasToString(NodeKeyTest.RFC_ID_1);
  }

  @Test
  void aFileJustUnderTheSizeLimitStillLoads() throws IOException {
    NodeKey key = NodeKey.fromSeed(Hex.decode(NodeKeyTest.RFC_SEED_1));
    String valid = pem(key.toPkcs8());
    String padded = valid + "\n".repeat(4096 - valid.length());
    assertThat(padded).hasSize(4096);
    assertThat(KeyFile.load(keyFile("big.key", padded))).isEqualTo(key);
    assertFerryError(
            () -> KeyFile.load(keyFile("bigger.key", padded + "\n")), ErrorCode.CORRUPT_DATA)
        .contains("too large");
  }
}
