package org.safethread.internal.map;

/**
 * Names map keys in messages without running user code: JDK value types print themselves
 * (their {@code toString} is the JDK's), other keys are named by class and hash code. A key's
 * {@code hashCode} is user code for any other class: it is called once, by the thread that
 * creates a pending key, outside every lock ({@link #hashOf}), and the name is built from that
 * value: messages are built under the wait-for graph's lock, where no user code may run.
 */
final class KeyNames {
    /** Longest key text quoted in a message; longer keys are cut (a message is not a dump). */
    private static final int MAX_CHARS = 60;

    private KeyNames() {
    }

    /**
     * @return the hash code a message shows for {@code key}: its {@code hashCode()} (user code:
     *     call outside every lock) for a key named by class and hash, else 0 (not shown)
     */
    static int hashOf(Object key) {
        return isText(key) ? 0 : key.hashCode();
    }

    /**
     * Names {@code key} without calling any of its methods.
     *
     * @param hash {@link #hashOf(Object)} of {@code key}, computed earlier
     */
    static String describe(Object key, int hash) {
        String text;
        if (key instanceof String) {
            text = quote((String) key);
        } else if ((key instanceof Number || key instanceof Character || key instanceof Boolean
                || key instanceof java.util.UUID) && key.getClass().getModule() == Object.class.getModule()) {
            text = String.valueOf(key); // a JDK class: its toString is not user code
        } else if (key instanceof Enum) {
            text = key.getClass().getSimpleName() + "." + ((Enum<?>) key).name();
        } else {
            text = "(" + key.getClass().getName() + ", hash " + Integer.toHexString(hash) + ")";
        }
        return "SharedMap key " + text;
    }

    /** @return whether {@link #describe(Object, int)} names {@code key} by its own text (no hash needed) */
    private static boolean isText(Object key) {
        return key instanceof String || key instanceof Enum || (key instanceof Number || key instanceof Character
                || key instanceof Boolean || key instanceof java.util.UUID)
                && key.getClass().getModule() == Object.class.getModule();
    }

    private static String quote(String s) {
        return s.length() > MAX_CHARS ? "\"" + s.substring(0, MAX_CHARS) + "…\"" : "\"" + s + "\"";
    }
}
