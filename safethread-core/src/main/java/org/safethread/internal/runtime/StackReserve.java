package org.safethread.internal.runtime;

/**
 * Moves a {@code StackOverflowError} to before a multi-step change of the runtime's state, where
 * it changes nothing, instead of between two of its steps.
 *
 * <p>A caller near the stack's limit (deep recursion that catches {@code StackOverflowError} and
 * goes on, as parsers and interpreters do) can overflow in any call. Most runtime operations are
 * one atomic step, or undo their earlier steps from the same frame. A few register state that
 * only a later step of theirs takes back — a branch child counted as live before its thread is
 * launched, or given up on if the launch fails: an overflow between the two left {@code join}
 * waiting for ever. Those operations call {@link #ensure()} first. The JDK protects its own
 * locks the same way ({@code @ReservedStackAccess}, JEP 270), which code outside the JDK cannot
 * use.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>HotSpot checks the stack at every method entry (a bang below the new frame), so a chain
 *       of calls succeeds only if the stack reaches below its deepest frame. {@link #ensure()}
 *       makes such a chain, {@link #FRAMES} frames deep, each keeping {@link #probe}'s six long
 *       arguments live across its call (so a compiled frame spills them, about 64 bytes, and an
 *       interpreted one is larger); if it returns, the operation that follows has at least that
 *       much stack below the caller's frame, and the operations that call it need far less
 *       (tens of frames) for the steps it protects.</li>
 *   <li>The chain is not a tail call (each frame adds to its callee's result), so neither
 *       compiler can turn it into a loop; C2 inlines one level of recursion, which halves the
 *       physical frames but doubles each one's spills. The result is compared with a value it
 *       can never have, so the chain cannot be removed as dead code.</li>
 *   <li>Cost: about a microsecond, compiled. Only used where the operation costs far more (a
 *       branch fork starts a thread) — never on a monitor call or a count.</li>
 * </ul>
 */
public final class StackReserve {
    /**
     * Frames in the probe chain: with six spilled longs each, 32 KiB or more below the caller's
     * frame, several times what the protected steps use (their deepest path, through cancelling
     * the siblings of a child whose launch failed, is a few dozen frames).
     */
    static final int FRAMES = 512;

    private StackReserve() {
    }

    /**
     * Returns normally only if the stack has room for {@link #FRAMES} more frames below the
     * caller's.
     *
     * @throws StackOverflowError if it has not (nothing was changed)
     */
    public static void ensure() {
        if (probe(FRAMES, 1, 2, 3, 4, 5, 6) == Long.MIN_VALUE) {
            throw new AssertionError("unreachable: the probe's sum is never Long.MIN_VALUE");
        }
    }

    private static long probe(int n, long a, long b, long c, long d, long e, long f) {
        if (n == 0) {
            return a ^ b ^ c ^ d ^ e ^ f;
        }
        // Not a tail call: the arguments stay live across it (each frame keeps its own).
        return (probe(n - 1, b, c, d, e, f, a + n) & 0xFFFFL) + (a & 0xFF) + (f & 0xFF);
    }
}
