package org.safethread.internal.map;

/**
 * Names map keys in messages without running user code: JDK value types print themselves
 * (their {@code toString} is the JDK's), other keys are named by class and hash code (which the
 * map computed anyway).
 */
final class KeyNames {
    /** Longest key text quoted in a message; longer keys are cut (a message is not a dump). */
    private static final int MAX_CHARS = 60;

    private KeyNames() {
    }

    static String describe(Object key) {
        String text;
        if (key instanceof String) {
            text = quote((String) key);
        } else if ((key instanceof Number || key instanceof Character || key instanceof Boolean
                || key instanceof java.util.UUID) && key.getClass().getModule() == Object.class.getModule()) {
            text = String.valueOf(key); // a JDK class: its toString is not user code
        } else if (key instanceof Enum) {
            text = key.getClass().getSimpleName() + "." + ((Enum<?>) key).name();
        } else {
            text = opaque(key);
        }
        return "SharedMap key " + text;
    }

    private static String quote(String s) {
        return s.length() > MAX_CHARS ? "\"" + s.substring(0, MAX_CHARS) + "…\"" : "\"" + s + "\"";
    }

    private static String opaque(Object key) {
        return "(" + key.getClass().getName() + ", hash " + Integer.toHexString(key.hashCode()) + ")";
    }
}
