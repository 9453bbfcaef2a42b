package org.safethread.stress.support;

import org.safethread.RefCounted;
import org.safethread.Shareable;

/**
 * A counted object with nothing of its class's to do at death: no {@code Ref} fields and no
 * finalizer core. Without Extras it dies by its count alone (the bare-death path of
 * {@code Deaths.die}); tests race that path against whatever attaches Extras. No state at all, so
 * it vouches for itself ({@link Shareable}).
 */
@Shareable
public final class Bare extends RefCounted {
}
