package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.safethread.internal.refcount.Candidates;
import org.safethread.internal.share.ShareRules;

/**
 * The hooks through which the upper layers reach the lower ones (issue #12) are in place before
 * anything can need them. Each test loads the library afresh in its own class loader, so that
 * the classes concerned are loaded but not initialized when the lower layer first meets them —
 * the order a program can produce, which the shared test JVM (where everything is long
 * initialized) cannot show.
 */
class LayerHooksTest {

    /** A class loader that sees only this library's classes, none of them initialized yet. */
    private static URLClassLoader freshLibrary() {
        URL classes = ShareRules.class.getProtectionDomain().getCodeSource().getLocation();
        return new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader());
    }

    private static Object call(Class<?> owner, String method, Class<?> param, Object arg) throws Exception {
        Method m = owner.getMethod(method, param);
        try {
            return m.invoke(null, arg);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void publicTypesAreJudgedByTheRolesTheyRegisterEvenBeforeTheirClassesAreInitialized() throws Exception {
        try (URLClassLoader fresh = freshLibrary()) {
            Class<?> rules = Class.forName(ShareRules.class.getName(), true, fresh);
            // Loaded, not initialized: as a declared parameter or field type is first met.
            Class<?> ref = Class.forName(Ref.class.getName(), false, fresh);
            Class<?> weakRef = Class.forName(WeakRef.class.getName(), false, fresh);
            Class<?> queue = Class.forName(DeathQueue.class.getName(), false, fresh);
            Class<?> handle = Class.forName(DeathQueue.Handle.class.getName(), false, fresh);

            // Holders: shareable when their value is, so not always, but can be.
            assertThat(call(rules, "canBeShareable", Class.class, ref)).isEqualTo(true);
            assertThat(call(rules, "alwaysShareable", Class.class, ref)).isEqualTo(false);
            assertThat(call(rules, "canBeShareable", Class.class, weakRef)).isEqualTo(true);
            assertThat(call(rules, "alwaysShareable", Class.class, weakRef)).isEqualTo(false);
            // Value types: always (and a final one needs no run-time check as a parameter).
            assertThat(call(rules, "alwaysShareable", Class.class, queue)).isEqualTo(true);
            assertThat(call(rules, "alwaysShareable", Class.class, handle)).isEqualTo(true);
            assertThat(call(rules, "staticallyShareable", Class.class, handle)).isEqualTo(true);
        }
    }

    @Test
    void theSameJudgementsInThisJvm() {
        // The decisions themselves are those the named types gave before registration existed.
        assertThat(ShareRules.canBeShareable(Ref.class)).isTrue();
        assertThat(ShareRules.alwaysShareable(Ref.class)).isFalse();
        assertThat(ShareRules.canBeShareable(WeakRef.class)).isTrue();
        assertThat(ShareRules.alwaysShareable(DeathQueue.class)).isTrue();
        assertThat(ShareRules.alwaysShareable(DeathQueue.Handle.class)).isTrue();
        Ref<RefCounted> empty = new Ref<>();
        assertThat(ShareRules.isShareable(empty)).isTrue(); // an empty holder holds nothing unshareable
    }

    @Test
    void candidatesQueuedBeforeTheCollectorHooksInAreKeptAndTriggerAtInstall() throws Exception {
        try (URLClassLoader fresh = freshLibrary()) {
            Class<?> candidates = Class.forName(Candidates.class.getName(), true, fresh);
            Class<?> counted = Class.forName(RefCounted.class.getName(), false, fresh);
            Class<?> trigger = Class.forName(Candidates.Trigger.class.getName(), false, fresh);
            Object three = Array.newInstance(counted, 3); // the queue holds them; it never looks inside
            call(candidates, "addAll", three.getClass(), three);
            assertThat(candidates.getMethod("pending").invoke(null)).isEqualTo(3L);

            AtomicInteger requests = new AtomicInteger();
            Object hook = Proxy.newProxyInstance(fresh, new Class<?>[] {trigger}, (p, m, args) -> {
                switch (m.getName()) {
                    case "threshold":
                        return 2;
                    case "requestCollection":
                        requests.incrementAndGet();
                        return null;
                    default:
                        throw new UnsupportedOperationException(m.getName());
                }
            });
            call(candidates, "installTrigger", trigger, hook);
            assertThat(requests).as("the queue had reached the threshold before the hook").hasValue(1);
            assertThat(candidates.getMethod("pending").invoke(null)).isEqualTo(3L);

            call(candidates, "addAll", three.getClass(), three);
            assertThat(requests).as("each addition past the threshold asks again").hasValue(2);
            assertThatThrownBy(() -> call(candidates, "installTrigger", trigger, hook))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
        }
    }
}
