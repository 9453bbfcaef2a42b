package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Monitor proxies (CONTRACT §1, "One thread inside at a time"): class and interface proxies, which
 * methods they guard, which they refuse, identity {@code equals}/{@code hashCode}, a
 * {@code toString} that does not touch state, and exceptions passing through.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorProxyTest {

    // ------------------------------------------------------------------ targets

    public static class Account {
        private long balance;
        /** How many threads are inside a monitor method now; more than one is a broken monitor. */
        private int inside;
        private int maxInside;

        @MonitorMethod
        public long deposit(long amount) {
            enter();
            try {
                long b = balance;
                Thread.yield(); // widen the window a second thread would need
                balance = b + amount;
                return balance;
            } finally {
                inside--;
            }
        }

        @MonitorMethod
        public long balance() {
            return balance;
        }

        @MonitorMethod
        public int maxInside() {
            return maxInside;
        }

        /** Public, not a monitor method: the proxy must refuse it. */
        public long peekBalance() {
            return balance;
        }

        /** Public, not a monitor method, with parameters. */
        public void reset(long to, String why) {
            balance = to;
        }

        private void enter() {
            inside++;
            maxInside = Math.max(maxInside, inside);
        }
    }

    public interface Greeter {
        String greet(String who);

        int calls();

        default String greetTwice(String who) {
            return greet(who) + greet(who);
        }
    }

    /** A final class: only an interface proxy can guard it. */
    static final class FinalGreeter implements Greeter {
        int calls;

        @Override
        public String greet(String who) {
            calls++;
            return "hello " + who;
        }

        @Override
        public int calls() {
            return calls;
        }
    }

    /** A target whose own identity methods throw: the proxy must never call them. */
    public static class Hostile {
        private int n;
        private final AtomicInteger identityCalls = new AtomicInteger();

        @MonitorMethod
        public int inc() {
            return ++n;
        }

        @Override
        public String toString() {
            identityCalls.incrementAndGet();
            throw new IllegalStateException("target toString called");
        }

        @Override
        public boolean equals(Object o) {
            identityCalls.incrementAndGet();
            throw new IllegalStateException("target equals called");
        }

        @Override
        public int hashCode() {
            identityCalls.incrementAndGet();
            throw new IllegalStateException("target hashCode called");
        }
    }

    public interface HostileIface {
        int inc();
    }

    public static class HostileImpl extends Hostile implements HostileIface {
    }

    /** Monitor methods of every access level that a proxy can override. */
    public static class Levels {
        private int n;

        @MonitorMethod
        void packagePrivate() {
            n += 1;
        }

        @MonitorMethod
        protected void prot() {
            n += 10;
        }

        @MonitorMethod
        public int n() {
            return n;
        }

        /** Not a monitor method, package-private: refused too (no unlocked path). */
        void packagePrivatePlain() {
            n += 1000;
        }
    }

    public static class Base {
        private int n;

        @MonitorMethod
        public void inc() {
            n++;
        }

        @MonitorMethod
        public int n() {
            return n;
        }

        @MonitorMethod
        public String who() {
            return "base";
        }
    }

    /** Inherits inc() and n(); overrides who() without re-annotating it. */
    public static class Derived extends Base {
        @Override
        public String who() {
            return "derived";
        }
    }

    /** Overrides without re-annotating, and the override blocks: only one thread may be inside. */
    public static class SlowDerived extends Base {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void inc() {
            entered.countDown();
            MonitorTesting.await(release);
            ((Base) this).n++; // n is private to Base: reached on this object, never through a monitor
        }
    }

    public interface Marked {
        @MonitorMethod
        int twice(int x);

        @MonitorMethod
        default int thrice(int x) {
            return 3 * x;
        }
    }

    /** Monitor methods declared on an interface, implemented without annotation. */
    public static class MarkedImpl implements Marked {
        private int calls;

        @Override
        public int twice(int x) {
            calls++;
            return 2 * x;
        }

        @MonitorMethod
        public int calls() {
            return calls;
        }
    }

    /** A generic base whose monitor method takes a type parameter. */
    public static class GenericBox<T> {
        private Object last;
        private int puts;

        @MonitorMethod
        public void put(T value) {
            last = value;
            puts++;
        }

        @MonitorMethod
        public Object last() {
            return last;
        }
    }

    /**
     * Overrides put(T) as put(String) without re-annotating. The override is a monitor method
     * ("it, or a method it overrides, carries this annotation"); javac adds a bridge put(Object).
     */
    public static class StringBox extends GenericBox<String> {
        @Override
        public void put(String value) {
            super.put(value.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** Same through an annotated generic interface method. */
    public interface Sink<T> {
        @MonitorMethod
        void accept(T value);
    }

    public static class StringSink implements Sink<String> {
        private String last;

        @Override
        public void accept(String value) {
            last = value;
        }

        @MonitorMethod
        public String last() {
            return last;
        }
    }

    /** Overloads: only one of them is a monitor method. */
    public static class Overloads {
        private int n;

        @MonitorMethod
        public void add(int by) {
            n += by;
        }

        public void add(String by) {
            n += Integer.parseInt(by);
        }

        @MonitorMethod
        public int n() {
            return n;
        }
    }

    /** A covariant override of a monitor method. */
    public static class CovariantBase {
        @MonitorMethod
        public Object value() {
            return "base";
        }
    }

    public static class CovariantDerived extends CovariantBase {
        @Override
        public String value() {
            return "derived";
        }
    }

    /** A package-private interface. */
    interface Hidden {
        int next();
    }

    static final class HiddenImpl implements Hidden {
        int n;

        @Override
        public int next() {
            return ++n;
        }
    }

    sealed interface Closed permits ClosedImpl {
        int next();
    }

    static final class ClosedImpl implements Closed {
        @Override
        public int next() {
            return 1;
        }
    }

    public static class Varargs {
        private int calls;

        @MonitorMethod
        public int count(String... parts) {
            calls++;
            return parts.length;
        }

        @MonitorMethod
        public int calls() {
            return calls;
        }
    }

    /** Throws what it is told to; keeps the thrown object so the test can compare identity. */
    public static class Thrower {
        private int n;
        private Throwable thrown;

        @MonitorMethod
        public void checked(String msg) throws IOException {
            n++;
            IOException e = new IOException(msg);
            thrown = e;
            throw e;
        }

        @MonitorMethod
        public void unchecked(String msg) {
            n++;
            IllegalArgumentException e = new IllegalArgumentException(msg);
            thrown = e;
            throw e;
        }

        @MonitorMethod
        public void error(String msg) {
            n++;
            StackOverflowError e = new StackOverflowError(msg);
            thrown = e;
            throw e;
        }

        @MonitorMethod
        public void sneaky(String msg) {
            n++;
            Exception e = new Exception(msg);
            thrown = e;
            MonitorProxyTest.<RuntimeException>sneakyThrow(e);
        }

        @MonitorMethod
        public int n() {
            return n;
        }
    }

    @SuppressWarnings("unchecked")
    static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
        throw (E) t;
    }

    // ------------------------------------------------------------------ class proxy

    @Test
    void classProxyIsASubclassThatGuardsMonitorMethods() throws Throwable {
        Account target = new Account();
        Account a = Monitor.of(target);
        assertThat(a).isNotSameAs(target).isInstanceOf(Account.class);
        assertThat(Monitor.isMonitor(a)).isTrue();
        assertThat(Monitor.isMonitor(target)).isFalse();
        assertThat(Monitor.isMonitor(null)).isFalse();
        assertThat(Monitor.isMonitor("x")).isFalse();

        assertThat(a.deposit(5)).isEqualTo(5);
        assertThat(target.balance).as("the proxy delegates to the target").isEqualTo(5);

        // One thread inside at a time: 4 threads x 2000 read-yield-write deposits lose nothing.
        List<Worker> ws = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            ws.add(start("dep-" + t, () -> {
                for (int i = 0; i < 2000; i++) {
                    a.deposit(1);
                }
            }));
        }
        MonitorTesting.assertNoFailures(ws);
        assertThat(a.balance()).isEqualTo(5 + 4 * 2000);
        assertThat(a.maxInside()).as("threads inside at once").isEqualTo(1);
    }

    @Test
    void counterTickedTwentyTimesByTenThreadsEndsAt200() throws Throwable {
        MonitorWorkloads.counter(MonitorTesting.PLATFORM); // python-safethread's Counter
    }

    @Test
    void publicNonMonitorMethodRefusesNamingTheMethodAndTouchesNothing() {
        Account target = new Account();
        target.balance = 42;
        Account a = Monitor.of(target);
        assertThatThrownBy(a::peekBalance)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("peekBalance")
                .hasMessageContaining("@MonitorMethod");
        assertThatThrownBy(() -> a.reset(0, "x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("reset");
        assertThat(target.balance).isEqualTo(42);
    }

    @Test
    void packagePrivateNonMonitorMethodRefusesToo() {
        Levels target = new Levels();
        Levels l = Monitor.of(target);
        assertThatThrownBy(l::packagePrivatePlain)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("packagePrivatePlain");
        assertThat(target.n).isZero();
    }

    @Test
    void packagePrivateAndProtectedMonitorMethodsAreGuarded() throws Throwable {
        Levels target = new Levels();
        Levels l = Monitor.of(target);
        l.packagePrivate();
        l.prot();
        assertThat(l.n()).isEqualTo(11);
        assertGuarded(l, () -> l.packagePrivate());
        assertGuarded(l, () -> l.prot());
        assertThat(l.n()).isEqualTo(22);
    }

    @Test
    void inheritedMonitorMethodsAreGuarded() throws Throwable {
        Derived d = Monitor.of(new Derived());
        d.inc();
        d.inc();
        assertThat(d.n()).isEqualTo(2);
        assertGuarded(d, d::inc);
        assertThat(d.n()).isEqualTo(3);
    }

    @Test
    void overrideWithoutReannotatingIsStillAMonitorMethodAndRunsTheOverride() throws Throwable {
        Derived d = Monitor.of(new Derived());
        assertThat(d.who()).startsWith("derived");

        SlowDerived target = new SlowDerived();
        SlowDerived s = Monitor.of(target);
        Worker first = start("slow-inc", s::inc);
        MonitorTesting.await(target.entered);
        // While the override is running, another call must block: the override is guarded.
        Worker second = start("second", s::n);
        awaitBlockedEntering(second.thread);
        assertThat(second.finished()).isFalse();
        target.release.countDown();
        first.joinAndCheck();
        second.joinAndCheck();
        assertThat(s.n()).isEqualTo(1);
    }

    @Test
    void monitorMethodsDeclaredOnInterfacesAreGuardedIncludingDefaults() throws Throwable {
        MarkedImpl target = new MarkedImpl();
        MarkedImpl m = Monitor.of(target);
        assertThat(m.twice(4)).isEqualTo(8);
        assertThat(m.thrice(4)).isEqualTo(12);
        assertThat(m.calls()).isEqualTo(1);
        assertGuarded(m, () -> m.twice(1));
        assertGuarded(m, () -> m.thrice(1));
    }

    @Test
    void overridingAGenericMonitorMethodWithoutReannotatingIsStillAMonitorMethod() throws Throwable {
        StringBox target = new StringBox();
        StringBox box = Monitor.of(target);
        GenericBox<String> asBase = box;
        asBase.put("via bridge"); // put(Object): the bridge, guarded
        assertThat(box.last()).isEqualTo("VIA BRIDGE");
        box.put("direct"); // put(String): overrides put(T), so it is a monitor method too
        assertThat(box.last()).isEqualTo("DIRECT");
        assertGuarded(box, () -> box.put("guarded"));
    }

    @Test
    void implementingAGenericInterfaceMonitorMethodWithoutReannotatingIsStillAMonitorMethod() throws Throwable {
        StringSink sinkTarget = new StringSink();
        StringSink sink = Monitor.of(sinkTarget);
        sink.accept("s");
        assertThat(sink.last()).isEqualTo("s");
        assertGuarded(sink, () -> sink.accept("guarded"));
    }

    @Test
    void overloadsAreJudgedOneByOne() {
        Overloads target = new Overloads();
        Overloads o = Monitor.of(target);
        o.add(2);
        assertThatThrownBy(() -> o.add("3"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("add(String)");
        assertThat(o.n()).isEqualTo(2);
    }

    @Test
    void covariantOverrideOfAMonitorMethodIsGuardedThroughEitherSignature() throws Throwable {
        CovariantDerived d = Monitor.of(new CovariantDerived());
        CovariantBase asBase = d;
        assertThat(d.value()).isEqualTo("derived");
        assertThat(asBase.value()).isEqualTo("derived");
        assertGuarded(d, d::value);
        assertGuarded(d, asBase::value);
    }

    @Test
    void interfaceProxyOfAPackagePrivateInterface() throws Throwable {
        Hidden h = Monitor.of(new HiddenImpl(), Hidden.class);
        assertThat(h.next()).isEqualTo(1);
        assertGuarded(h, h::next);
        assertThat(h.next()).isEqualTo(3);
    }

    @Test
    void interfaceProxyRefusesASealedInterfaceClearly() {
        assertThatThrownBy(() -> Monitor.of(new ClosedImpl(), Closed.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Closed.class.getName())
                .hasMessageContaining("sealed");
    }

    @Test
    void varargsMethodKeepsItsVarargsFlagAndTheArrayIsRefusedAtTheWall() throws Exception {
        Varargs target = new Varargs();
        Varargs v = Monitor.of(target);
        Method m = v.getClass().getDeclaredMethod("count", String[].class);
        assertThat(m.isVarArgs()).as("proxy method keeps ACC_VARARGS").isTrue();
        // Arrays are not shareable (even of Strings): a varargs call passes one, so it is refused,
        // before entry, naming the method and position.
        assertThatThrownBy(() -> v.count("a", "b"))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Varargs.count: argument 1 ([Ljava.lang.String;) is not shareable");
        assertThat(target.calls).as("method must not have run").isZero();
        assertThat(v.calls()).isZero();
    }

    @Test
    void exceptionsPassThroughUnchangedAndTheMonitorIsReleased() throws Throwable {
        Thrower target = new Thrower();
        Thrower t = Monitor.of(target);
        Throwable io = catchThrowable(() -> t.checked("disk"));
        assertThat(io).as("checked exception, same object").isInstanceOf(IOException.class).isSameAs(target.thrown);
        assertReleased(t);

        Throwable iae = catchThrowable(() -> t.unchecked("bad"));
        assertThat(iae).isInstanceOf(IllegalArgumentException.class).isSameAs(target.thrown);
        assertReleased(t);

        Throwable err = catchThrowable(() -> t.error("deep"));
        assertThat(err).isInstanceOf(StackOverflowError.class).isSameAs(target.thrown);
        assertReleased(t);

        Throwable undeclared = catchThrowable(() -> t.sneaky("undeclared checked"));
        assertThat(undeclared).as("not wrapped in UndeclaredThrowableException")
                .isExactlyInstanceOf(Exception.class).isSameAs(target.thrown);
        assertReleased(t);
        assertThat(t.n()).isEqualTo(4);
    }

    // ------------------------------------------------------------------ identity

    @Test
    void equalsAndHashCodeAreTheProxysIdentity() {
        Account target = new Account();
        Account a = Monitor.of(target);
        Account b = Monitor.of(new Account());
        assertThat(a.equals(a)).isTrue();
        assertThat(a.equals(b)).isFalse();
        assertThat(a.equals(target)).isFalse();
        assertThat(a.hashCode()).isEqualTo(System.identityHashCode(a));
        assertThat(new java.util.HashSet<>(List.of(a, b, a))).hasSize(2);
    }

    @Test
    void toStringNamesTheClassAndANumber() {
        Account a = Monitor.of(new Account());
        Account b = Monitor.of(new Account());
        assertThat(a.toString()).matches("Account#\\d+");
        assertThat(b.toString()).matches("Account#\\d+").isNotEqualTo(a.toString());
        Greeter g = Monitor.of(new FinalGreeter(), Greeter.class);
        assertThat(g.toString()).matches("FinalGreeter#\\d+");
    }

    @Test
    void identityMethodsNeverTouchTheTarget() {
        Hostile target = new Hostile();
        Hostile h = Monitor.of(target);
        assertThat(h.toString()).matches("Hostile#\\d+");
        assertThat(h.equals(h)).isTrue();
        assertThat(h.equals(target)).isFalse();
        assertThat(h.hashCode()).isEqualTo(System.identityHashCode(h));
        assertThat(h.inc()).isEqualTo(1);

        HostileIface hi = Monitor.of(new HostileImpl(), HostileIface.class);
        assertThat(hi.toString()).matches("HostileImpl#\\d+");
        assertThat(hi.equals(hi)).isTrue();
        assertThat(hi.hashCode()).isEqualTo(System.identityHashCode(hi));
        assertThat(hi.inc()).isEqualTo(1);
        assertThat(target.identityCalls.get()).isZero();
        // Refusing to wrap a monitor again names it, also without calling the target.
        assertThatThrownBy(() -> Monitor.of(h)).hasMessageContaining(h.toString());
        assertThat(target.identityCalls.get()).isZero();
    }

    @Test
    void identityMethodsDoNotWaitForTheMonitor() throws Throwable {
        SlowDerived target = new SlowDerived();
        SlowDerived s = Monitor.of(target);
        Worker holder = start("holder", s::inc);
        MonitorTesting.await(target.entered);
        try {
            // The monitor is held: these must answer at once (the class timeout catches a hang).
            AtomicBoolean done = new AtomicBoolean();
            Worker w = start("identity", () -> {
                s.toString();
                s.hashCode();
                s.equals(s);
                done.set(true);
            });
            w.joinAndCheck();
            assertThat(done).isTrue();
        } finally {
            target.release.countDown();
        }
        holder.joinAndCheck();
    }

    // ------------------------------------------------------------------ interface proxy

    @Test
    void interfaceProxyGuardsEveryMethodIncludingDefaults() throws Throwable {
        FinalGreeter target = new FinalGreeter();
        Greeter g = Monitor.of(target, Greeter.class);
        assertThat(Monitor.isMonitor(g)).isTrue();
        assertThat(g).isNotInstanceOf(FinalGreeter.class);
        assertThat(g.greet("bob")).isEqualTo("hello bob");
        assertThat(g.greetTwice("al")).isEqualTo("hello alhello al");
        assertThat(target.calls).isEqualTo(3);
        assertThat(g.calls()).isEqualTo(3);

        // Many threads, one inside at a time.
        List<Worker> ws = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            ws.add(start("greet-" + t, () -> {
                for (int i = 0; i < 1000; i++) {
                    g.greet("x");
                }
            }));
        }
        MonitorTesting.assertNoFailures(ws);
        assertThat(g.calls()).isEqualTo(3 + 4000);
    }

    @Test
    void interfaceProxyOfAJdkInterface() {
        java.util.function.IntSupplier s = Monitor.of(new java.util.function.IntSupplier() {
            int n;

            @Override
            public int getAsInt() {
                return ++n;
            }
        }, java.util.function.IntSupplier.class);
        assertThat(s.getAsInt()).isEqualTo(1);
        assertThat(s.getAsInt()).isEqualTo(2);
        assertThat(Monitor.isMonitor(s)).isTrue();
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Shows that {@code call} runs inside the monitor: while a helper thread holds the monitor
     * (entered through the runtime, parked on a latch), {@code call} from another thread blocks
     * entering it, and completes once the helper leaves.
     */
    static void assertGuarded(Object monitor, MonitorTesting.Body call) throws Throwable {
        HoldHelper.hold(monitor, call);
    }

    /** Holds a monitor from a helper thread using only its proxy and the runtime's internals. */
    static final class HoldHelper {
        static void hold(Object monitor, MonitorTesting.Body call) throws Throwable {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Worker holder = start("holder", () -> org.safethread.internal.monitor.MonitorAccess.runInside(monitor,
                    target -> {
                        held.countDown();
                        MonitorTesting.await(release);
                    }));
            MonitorTesting.await(held);
            Worker caller = start("caller", call);
            try {
                awaitBlockedEntering(caller.thread);
                assertThat(caller.finished()).as("call ran while another thread held the monitor").isFalse();
            } finally {
                release.countDown();
            }
            holder.joinAndCheck();
            caller.joinAndCheck();
        }
    }

    /** Another thread can enter (bounded): the monitor was released. */
    private static void assertReleased(Thrower t) throws Throwable {
        start("after", t::n).joinAndCheck();
    }

    @Test
    void proxiesOfTheSameClassHaveIndependentLocks() throws Throwable {
        SlowDerived t1 = new SlowDerived();
        SlowDerived s1 = Monitor.of(t1);
        Base s2 = Monitor.of(new Base());
        Worker holder = start("holder", s1::inc);
        MonitorTesting.await(t1.entered);
        try {
            start("other", () -> s2.inc()).joinAndCheck(); // a different monitor: no blocking
        } finally {
            t1.release.countDown();
        }
        holder.joinAndCheck();
        assertThat(s2.n()).isEqualTo(1);
    }
}
