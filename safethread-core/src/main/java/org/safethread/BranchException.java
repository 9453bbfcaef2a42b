package org.safethread;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown by {@link Branch#join()} when the children's failures cannot be reported by rethrowing
 * one of them: exactly one child failed with a checked exception (it is the {@linkplain
 * #getCause() cause}), or two or more children failed ({@link #failures()} lists them all, in
 * fork order; the first is also the cause).
 */
public class BranchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The failures, in fork order; never empty. */
    private final transient List<Throwable> failures;

    /**
     * @param message what failed (or null, as for any exception)
     * @param failures the children's failures in fork order, at least one; the first becomes the cause
     * @throws NullPointerException if {@code failures} or one of them is null
     * @throws IllegalArgumentException if {@code failures} is empty
     */
    public BranchException(@Nullable String message, List<Throwable> failures) {
        super(message, firstOf(failures));
        this.failures = List.copyOf(failures);
    }

    private static Throwable firstOf(List<Throwable> failures) {
        Objects.requireNonNull(failures, "BranchException: failures is null");
        if (failures.isEmpty()) {
            throw new IllegalArgumentException("BranchException needs at least one failure");
        }
        return failures.get(0);
    }

    /**
     * @return the children's failures, in the order the children were forked (an immutable list;
     *     at least one element; the same objects the children threw)
     */
    public List<Throwable> failures() {
        return failures;
    }
}
