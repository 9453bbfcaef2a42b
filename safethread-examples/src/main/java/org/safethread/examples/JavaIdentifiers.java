package org.safethread.examples;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A small lexer that finds the identifiers in Java source text, as JLS §3.8 defines them: names
 * outside comments, string and character literals (text blocks included) and number literals,
 * and not keywords or the literals {@code true}, {@code false}, {@code null}. Contextual keywords
 * ({@code var}, {@code record}, {@code yield}, …) are identifiers, as the JLS says.
 *
 * <p>It works on the UTF-8 bytes directly: ASCII letters, digits, {@code _} and {@code $} are
 * identifier characters, and so is every byte of a multi-byte UTF-8 sequence (Java letters beyond
 * ASCII; an identifier containing one is decoded as UTF-8). Unicode escapes ({@code \u0041}) are
 * not translated: the JDK's sources use none in identifiers.
 */
final class JavaIdentifiers {
    /** JLS §3.9 reserved keywords, and the literals that look like names. */
    static final Set<String> NOT_IDENTIFIERS = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
            "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
            "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
            "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
            "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
            "volatile", "while", "_", "true", "false", "null");

    private JavaIdentifiers() {
    }

    /**
     * Calls {@code sink} with every identifier of {@code src}, in order.
     *
     * @param src Java source as UTF-8 bytes
     * @param sink called once per occurrence
     */
    static void forEach(byte[] src, Consumer<String> sink) {
        int n = src.length;
        int i = 0;
        while (i < n) {
            int c = src[i] & 0xff;
            if (c == '/' && i + 1 < n && src[i + 1] == '/') {
                i += 2;
                while (i < n && src[i] != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && src[i + 1] == '*') {
                i += 2;
                while (i < n && !(src[i] == '*' && i + 1 < n && src[i + 1] == '/')) {
                    i++;
                }
                i += 2;
            } else if (c == '"') {
                if (i + 2 < n && src[i + 1] == '"' && src[i + 2] == '"') {
                    i = skipTextBlock(src, i + 3);
                } else {
                    i = skipQuoted(src, i + 1, (byte) '"');
                }
            } else if (c == '\'') {
                i = skipQuoted(src, i + 1, (byte) '\'');
            } else if (c >= '0' && c <= '9') {
                i++;
                while (i < n && isPart(src[i] & 0xff)) {   // 0x1F, 10_000L, 1e5: one number
                    i++;
                }
            } else if (isStart(c)) {
                int start = i;
                boolean ascii = c < 0x80;
                i++;
                while (i < n && isPart(src[i] & 0xff)) {
                    ascii &= src[i] >= 0;
                    i++;
                }
                String id = new String(src, start, i - start,
                        ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
                if (!NOT_IDENTIFIERS.contains(id)) {
                    sink.accept(id);
                }
            } else {
                i++;
            }
        }
    }

    private static boolean isStart(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
    }

    private static boolean isPart(int c) {
        return isStart(c) || (c >= '0' && c <= '9');
    }

    /** @return the index after the closing quote (or the line's end: an unterminated literal) */
    private static int skipQuoted(byte[] src, int i, byte quote) {
        int n = src.length;
        while (i < n && src[i] != quote && src[i] != '\n') {
            i += src[i] == '\\' ? 2 : 1;
        }
        return i + 1;
    }

    /** @return the index after the closing {@code """} */
    private static int skipTextBlock(byte[] src, int i) {
        int n = src.length;
        while (i < n) {
            if (src[i] == '\\') {
                i += 2;
            } else if (src[i] == '"' && i + 2 < n && src[i + 1] == '"' && src[i + 2] == '"') {
                return i + 3;
            } else {
                i++;
            }
        }
        return n;
    }
}
