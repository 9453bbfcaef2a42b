package org.safethread.examples;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Off-heap memory that is freed for real, at once, instead of when the JVM's collector gets to
 * the buffer: {@link ByteBuffer#allocateDirect} and an explicit free.
 *
 * <p>Two ways to free, chosen once:
 * <ol>
 *   <li>The buffer's own JDK cleaner, {@code ((sun.nio.ch.DirectBuffer) b).cleaner().clean()},
 *       called reflectively. It needs {@code java.base} to export {@code sun.nio.ch} and
 *       {@code jdk.internal.ref} to us: the jar's manifest says so ({@code Add-Exports}, honoured
 *       by {@code java -jar}), and the tests pass {@code --add-exports}. Silent on JDK 17 to 25.</li>
 *   <li>Otherwise (classes run some other way) {@code sun.misc.Unsafe.invokeCleaner}, from
 *       {@code jdk.unsupported}, which does the same. It is deprecated for removal since JDK 23,
 *       and JDK 24 and later print a warning the first time it is called; that is why it is
 *       second.</li>
 * </ol>
 * A freed buffer must never be touched again (the memory is gone; reading it may crash the JVM).
 * Only a buffer from {@link #allocate} may be freed, never a slice or duplicate of one.
 */
final class DirectMemory {
    private interface Freer {
        void free(ByteBuffer buffer) throws ReflectiveOperationException;
    }

    private static final String HOW;
    private static final Freer FREER;

    static {
        Freer freer = null;
        String how = null;
        Module base = Object.class.getModule();
        Module me = DirectMemory.class.getModule();
        if (base.isExported("sun.nio.ch", me) && base.isExported("jdk.internal.ref", me)) {
            try {
                Method cleaner = Class.forName("sun.nio.ch.DirectBuffer").getMethod("cleaner");
                Method clean = cleaner.getReturnType().getMethod("clean");
                freer = b -> clean.invoke(cleaner.invoke(b));
                how = "the buffer's own cleaner (DirectBuffer.cleaner().clean())";
            } catch (ReflectiveOperationException | RuntimeException e) {
                freer = null;
            }
        }
        if (freer == null) {
            try {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                Field f = unsafeClass.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object unsafe = f.get(null);
                Method invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
                freer = b -> invokeCleaner.invoke(unsafe, b);
                how = "sun.misc.Unsafe.invokeCleaner";
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new ExceptionInInitializerError("cannot free direct buffers on this JVM: neither "
                        + "sun.nio.ch.DirectBuffer (run with --add-exports java.base/sun.nio.ch=ALL-UNNAMED "
                        + "--add-exports java.base/jdk.internal.ref=ALL-UNNAMED) nor sun.misc.Unsafe.invokeCleaner "
                        + "is usable: " + e);
            }
        }
        FREER = freer;
        HOW = how;
    }

    private DirectMemory() {
    }

    /** @return how buffers are freed, for the report */
    static String how() {
        return HOW;
    }

    /** @return a new direct buffer of {@code bytes} bytes (zeroed) */
    static ByteBuffer allocate(int bytes) {
        return ByteBuffer.allocateDirect(bytes);
    }

    /** Frees {@code buffer}'s memory now. Idempotent for one buffer. */
    static void free(ByteBuffer buffer) {
        try {
            FREER.free(buffer);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IllegalStateException("freeing a direct buffer failed", cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("freeing a direct buffer failed", e);
        }
    }
}
