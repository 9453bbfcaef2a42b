package org.safethread.internal.monitor;

/** Entry points for {@link org.safethread.Monitor#of}. */
public final class Monitors {
    private Monitors() {
    }

    /** @return a class proxy of {@code target} */
    @SuppressWarnings("unchecked")
    public static <T> T classProxy(T target) {
        return (T) ProxyFactory.classProxy(target);
    }

    /** @return an interface proxy of {@code target} */
    public static Object interfaceProxy(Object target, Class<?> iface) {
        return ProxyFactory.interfaceProxy(target, iface);
    }
}
