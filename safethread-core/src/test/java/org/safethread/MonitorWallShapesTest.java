package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorProxyTest.assertGuarded;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.testing.ForeignBase;

/**
 * Issue #10 A, B, I, K, H over the shapes of each kind: a class proxy overrides what virtual
 * dispatch can reach (bridges, covariant returns, inherited implementations, defaults), never
 * runs the target's code on its own fields (final methods, finalize, other packages' methods),
 * never lets a field access read its copy (non-private fields; nest-mates), and hands out itself
 * for its target. Each test asserts the right behaviour or a clear refusal, never a silent wrong
 * result.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorWallShapesTest {

    // ------------------------------------------------------------------ A: dispatch shapes

    /** Not annotated: the subclass's override is. */
    public static class Store<T> {
        public void put(T value) {
            throw new AssertionError("overridden");
        }
    }

    /** The example: {@code @MonitorMethod put(String)} overriding {@code Store<T>.put(T)}. */
    public static class StringStore extends Store<String> {
        private final List<String> items = new ArrayList<>();

        @MonitorMethod
        @Override
        public void put(String value) {
            items.add(value);
        }

        @MonitorMethod
        public int size() {
            return items.size();
        }
    }

    @Test
    void aBridgeTakesTheMonitorStatusOfTheMethodItBridgesTo() throws Throwable {
        StringStore s = Monitor.of(new StringStore());
        Store<String> asBase = s;
        asBase.put("via the bridge put(Object)");
        s.put("direct");
        assertThat(s.size()).isEqualTo(2);
        assertGuarded(s, () -> asBase.put("guarded"));
        assertThat(s.size()).isEqualTo(3);
    }

    public interface Keeper<T> {
        void keep(T value);

        int count();
    }

    /** Implements keep(String) without knowing about Keeper; the annotation is here. */
    public static class KeeperBase {
        private int n;

        @MonitorMethod
        public void keep(String value) {
            n++;
        }

        @MonitorMethod
        public int count() {
            return n;
        }
    }

    /** Inherits the implementation of Keeper<String>.keep; javac adds the bridge keep(Object) here. */
    public static class StringKeeper extends KeeperBase implements Keeper<String> {
    }

    public interface AnnotatedKeeper<T> {
        @MonitorMethod
        void keep(T value);
    }

    /** The annotation is on the generic interface; the implementation is inherited, unannotated. */
    public static class PlainKeeperBase {
        private int n;

        public void keep(String value) {
            n++;
        }

        @MonitorMethod
        public int count() {
            return n;
        }
    }

    public static class AnnotatedStringKeeper extends PlainKeeperBase implements AnnotatedKeeper<String> {
    }

    @Test
    void anInheritedImplementationOfAGenericInterfaceMethodIsGuardedThroughEveryPath() throws Throwable {
        StringKeeper k = Monitor.of(new StringKeeper());
        Keeper<String> asIface = k;
        asIface.keep("a");
        k.keep("b");
        assertThat(asIface.count()).isEqualTo(2);
        assertGuarded(k, () -> asIface.keep("c"));
        assertGuarded(k, () -> k.keep("d"));

        AnnotatedStringKeeper a = Monitor.of(new AnnotatedStringKeeper());
        AnnotatedKeeper<String> asAnnotated = a;
        asAnnotated.keep("a");
        a.keep("b"); // keep(String) implements the annotated keep(T): a monitor method
        assertThat(a.count()).isEqualTo(2);
        assertGuarded(a, () -> asAnnotated.keep("c"));
        assertGuarded(a, () -> a.keep("d"));
    }

    public static class Source {
        public Object get() {
            return "source";
        }
    }

    /** Covariant override annotated only in the subclass: the bridge Object get() is guarded too. */
    public static class Narrow extends Source {
        private int calls;

        @MonitorMethod
        @Override
        public String get() {
            calls++;
            return "narrow " + calls;
        }
    }

    @Test
    void aCovariantOverrideAnnotatedInTheSubclassIsGuardedThroughTheSupertype() throws Throwable {
        Narrow n = Monitor.of(new Narrow());
        Source asSource = n;
        assertThat(asSource.get()).isEqualTo("narrow 1");
        assertThat(n.get()).isEqualTo("narrow 2");
        assertGuarded(n, asSource::get);
    }

    public interface Described {
        int size();

        /** Not a monitor method: on a proxy it would call size() on the proxy, unguarded by it. */
        default String describe() {
            return "size " + size();
        }
    }

    public static class Sized implements Described {
        private int size = 5;

        @MonitorMethod
        @Override
        public int size() {
            return size;
        }
    }

    @Test
    void anUnannotatedDefaultMethodIsRefusedNotRunOnTheProxy() {
        Sized s = Monitor.of(new Sized());
        assertThatThrownBy(s::describe)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("describe()")
                .hasMessageContaining("not a @MonitorMethod");
        assertThat(s.size()).isEqualTo(5);
    }

    public static class Visibilities {
        private int n;

        @MonitorMethod
        public int n() {
            return n;
        }

        public void pub() {
            n++;
        }

        protected void prot() {
            n++;
        }

        void pkg() {
            n++;
        }

        public void varargs(String... parts) {
            n += parts.length;
        }
    }

    @Test
    void nonMonitorMethodsOfEveryVisibilityAreRefusedAndTouchNothing() {
        Visibilities target = new Visibilities();
        Visibilities v = Monitor.of(target);
        assertThatThrownBy(v::pub).isInstanceOf(IllegalStateException.class).hasMessageContaining("pub()");
        assertThatThrownBy(v::prot).isInstanceOf(IllegalStateException.class).hasMessageContaining("prot()");
        assertThatThrownBy(v::pkg).isInstanceOf(IllegalStateException.class).hasMessageContaining("pkg()");
        assertThatThrownBy(() -> v.varargs("a")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("varargs(String[])");
        assertThat(v.n()).isZero();
        assertThat(target.n).isZero();
    }

    /** A non-static inner class (with its synthetic this$0) can be a monitor. */
    public class Inner {
        private int n;

        @MonitorMethod
        public int inc() {
            return ++n;
        }
    }

    @Test
    void anInnerClassIsAMonitor() throws Throwable {
        Inner i = Monitor.of(new Inner());
        assertThat(i.inc()).isEqualTo(1);
        assertGuarded(i, i::inc);
        assertThat(i.inc()).isEqualTo(3);
    }

    // ------------------------------------------------------------------ B: target code on the proxy

    public static class PackageFinal {
        private int n;

        @MonitorMethod
        public int n() {
            return n;
        }

        final void bump() {
            n++;
        }
    }

    public static class ProtectedFinal {
        @MonitorMethod
        public void m() {
        }

        protected final void sneak() {
        }
    }

    public static class FinalInSuper extends PackageFinal {
    }

    @Test
    void everyNonPrivateFinalMethodIsRefusedNamingIt() {
        assertThatThrownBy(() -> Monitor.of(new PackageFinal()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("package-private final method")
                .hasMessageContaining("PackageFinal.bump()");
        assertThatThrownBy(() -> Monitor.of(new ProtectedFinal()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("protected final method")
                .hasMessageContaining("ProtectedFinal.sneak()");
        assertThatThrownBy(() -> Monitor.of(new FinalInSuper()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PackageFinal.bump()");
    }

    /** Counts how often finalize ran on a fully built object and on an empty copy. */
    public static class Finalizing {
        static final AtomicInteger ON_TARGET = new AtomicInteger();
        static final AtomicInteger ON_EMPTY = new AtomicInteger();
        private final String name;

        Finalizing(String name) {
            this.name = name;
        }

        @MonitorMethod
        public String name() {
            return name;
        }

        @Override
        @SuppressWarnings({"deprecation", "removal"})
        protected void finalize() {
            (name == null ? ON_EMPTY : ON_TARGET).incrementAndGet();
        }
    }

    @Test
    @SuppressWarnings({"deprecation", "removal"})
    void finalizeNeverRunsOnTheProxy() throws Throwable {
        Finalizing p = Monitor.of(new Finalizing("kept"));
        p.finalize(); // a direct call reaches the proxy's empty override, not the target's code
        assertThat(Finalizing.ON_EMPTY).hasValue(0);
        assertThat(Finalizing.ON_TARGET).hasValue(0);
        assertThat(p.name()).isEqualTo("kept");

        int made = 200;
        for (int i = 0; i < made; i++) {
            Monitor.of(new Finalizing("t" + i)).name();
        }
        p = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Finalizing.ON_TARGET.get() < made && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(Finalizing.ON_TARGET.get()).as("targets finalized").isGreaterThanOrEqualTo(made);
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(Finalizing.ON_EMPTY).as("finalize ran on a proxy's empty state").hasValue(0);
    }

    public static class AnnotatedFinalize {
        @MonitorMethod
        public void m() {
        }

        @MonitorMethod
        @Override
        @SuppressWarnings({"deprecation", "removal"})
        protected void finalize() {
        }
    }

    @Test
    void finalizeAsAMonitorMethodIsRefused() {
        assertThatThrownBy(() -> Monitor.of(new AnnotatedFinalize()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AnnotatedFinalize.finalize()")
                .hasMessageContaining("never through the monitor");
    }

    /** Extends a class of another package that has a package-private method. */
    public static class ForeignChild extends ForeignBase {
        @MonitorMethod
        public int twice() {
            return 2 * pokes();
        }
    }

    @Test
    void aPackagePrivateMethodOfAnotherPackageIsRefusedNamingIt() {
        ForeignChild target = new ForeignChild();
        assertThatThrownBy(() -> Monitor.of(target))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ForeignBase.poke()")
                .hasMessageContaining("another package");
        ForeignBase.pokeFromHere(target); // what the proxy would have let run on its own state
        assertThat(target.pokes()).isEqualTo(1);
    }

    /**
     * Declares poke() too, but in another package than ForeignBase's package-private poke(), so it
     * does not override it (JVMS 5.4.5): a call from ForeignBase's package still selects ForeignBase.poke.
     */
    public static class ForeignShadow extends ForeignBase {
        @MonitorMethod
        void poke() {
        }
    }

    @Test
    void aShadowedPackagePrivateMethodOfAnotherPackageIsRefusedToo() {
        ForeignShadow target = new ForeignShadow();
        assertThatThrownBy(() -> Monitor.of(target))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ForeignBase.poke()");
        ForeignBase.pokeFromHere(target); // selects ForeignBase.poke, not ForeignShadow.poke
        assertThat(target.pokes()).isEqualTo(1);
    }

    public static class Copyable implements Cloneable {
        private int n = 7;

        @MonitorMethod
        public int n() {
            return n;
        }

        static Object cloneOf(Copyable c) throws CloneNotSupportedException {
            return c.clone();
        }
    }

    @Test
    void aMonitorCannotBeCloned() throws Exception {
        Copyable c = Monitor.of(new Copyable());
        assertThatThrownBy(() -> Copyable.cloneOf(c))
                .isInstanceOf(CloneNotSupportedException.class)
                .hasMessageContaining("cannot be cloned");
        assertThat(Copyable.cloneOf(new Copyable())).isInstanceOf(Copyable.class);
    }

    // ------------------------------------------------------------------ I: fields

    public static class OpenFields {
        public String name = "conn";
        protected int capacity = 8;
        int counter;
        final long created = 1;
        private int hidden;

        @MonitorMethod
        public int hidden() {
            return hidden;
        }
    }

    public static class InheritsOpenField extends Store<String> {
        @MonitorMethod
        @Override
        public void put(String s) {
        }
    }

    public static class OpenBase {
        protected int shared;
    }

    public static class OpenChild extends OpenBase {
        @MonitorMethod
        public int shared() {
            return shared;
        }
    }

    @Test
    void nonPrivateInstanceFieldsAreRefusedNamingThem() {
        assertThatThrownBy(() -> Monitor.of(new OpenFields()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("public OpenFields.name")
                .hasMessageContaining("protected OpenFields.capacity")
                .hasMessageContaining("package-private OpenFields.counter")
                .hasMessageContaining("package-private OpenFields.created")
                .hasMessageNotContaining("hidden")
                .hasMessageContaining("never-initialised copy");
        assertThatThrownBy(() -> Monitor.of(new OpenChild()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("protected OpenBase.shared");
        // Static fields and a field-less hierarchy are fine.
        InheritsOpenField ok = Monitor.of(new InheritsOpenField());
        ok.put("x");
    }

    @Test
    void nestMatesReachingPrivateStateThroughAReferenceThatMayBeTheMonitorAreRefused() {
        assertThatThrownBy(() -> Monitor.of(new EnclosingReads.Pool()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("EnclosingReads.peek reads private field EnclosingReads$Pool.size");
        assertThatThrownBy(() -> Monitor.of(new EnclosingWrites.Pool()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("EnclosingWrites.set writes private field EnclosingWrites$Pool.counter");
        assertThatThrownBy(() -> Monitor.of(new SiblingReads.Account()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SiblingReads$Account.takeAll")
                .hasMessageContaining("private field SiblingReads$Account.balance");
        assertThatThrownBy(() -> Monitor.of(new PrivateMethodThroughParameter.Room()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("calls private method PrivateMethodThroughParameter$Room.touch");
        assertThatThrownBy(LambdaCapturesMonitor::reader)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LambdaCapturesMonitor.reader (in a lambda) reads private field")
                .hasMessageContaining("Gauge.value");
        assertThatThrownBy(() -> Monitor.of(new MethodReferenceToPrivate.Lamp()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("method reference to private method MethodReferenceToPrivate$Lamp.flip");
        assertThatThrownBy(() -> Monitor.of(new InnerReadsOuter.Outer()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("InnerReadsOuter$Outer$Peek.peek reads private field InnerReadsOuter$Outer.n");
        assertThatThrownBy(() -> Monitor.of(new PrivateInnerMadeForAParameter.Outer()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Outer$Peek.peek reads private field PrivateInnerMadeForAParameter$Outer.n");
        // And the refusal is what stops the silent wrong value: on the target itself, all is right.
        EnclosingReads.Pool raw = new EnclosingReads.Pool();
        assertThat(EnclosingReads.peek(raw)).isEqualTo(8);
    }

    @Test
    void closedClassesMadeOnlyForThisOrForNewObjectsMayReachPrivateState() {
        ClosedClassesOnThis.Outer o = Monitor.of(new ClosedClassesOnThis.Outer());
        assertThat(o.viaInner()).isEqualTo(5);
        assertThat(o.viaAnonymous()).isEqualTo(6);
        assertThat(o.viaLocalOnANewObject()).isEqualTo(45);
    }

    @Test
    void privateStateReachedOnlyOnThisOrOnNewObjectsIsAccepted() {
        assertThat(ProvablySafe.fresh()).isEqualTo(42);
        ProvablySafe.Counter c = Monitor.of(new ProvablySafe.Counter(1));
        assertThat(c.tick()).isEqualTo(1);
        ProvablySafe.Counter copy = c.copy();
        assertThat(Monitor.isMonitor(copy)).isTrue();
        assertThat(copy.tick()).isEqualTo(2);
        assertThat(c.tick()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ K: this at the wall

    public static class Builder {
        private final List<String> items = new ArrayList<>();

        @MonitorMethod
        public Builder add(String s) {
            items.add(s);
            return this;
        }

        @MonitorMethod
        public List<String> build() {
            return List.copyOf(items);
        }

        @MonitorMethod
        public void registerIn(Registry r) {
            r.register(this);
        }
    }

    public static class Registry {
        private final List<Object> registered = new ArrayList<>();

        @MonitorMethod
        public void register(Object o) {
            registered.add(o);
        }

        @MonitorMethod
        public Object first() {
            return registered.get(0);
        }
    }

    @Test
    void aMonitorMethodReturningThisHandsOutItsMonitor() throws Throwable {
        Builder b = Monitor.of(new Builder());
        Builder chained = b.add("a").add("b").add("c");
        assertThat(chained).isSameAs(b);
        assertThat(Monitor.isMonitor(chained)).isTrue();
        assertThat(b.build()).containsExactly("a", "b", "c");
        assertGuarded(b, () -> b.add("d").add("e"));
        assertThat(b.build()).containsExactly("a", "b", "c", "d", "e");
    }

    @Test
    void aMonitorMethodPassingThisOnPassesItsMonitor() {
        Builder b = Monitor.of(new Builder());
        Registry r = Monitor.of(new Registry());
        b.registerIn(r);
        assertThat(r.first()).isSameAs(b);
    }

    public interface Chain {
        int n();

        Chain next();

        FinalChain concrete();
    }

    static final class FinalChain implements Chain {
        private int n;

        @Override
        public int n() {
            return n;
        }

        @Override
        public Chain next() {
            n++;
            return this;
        }

        @Override
        public FinalChain concrete() {
            n++;
            return this;
        }
    }

    @Test
    void anInterfaceProxyHandsOutItselfWhereItFitsAndOtherwiseSaysExactlyWhatHappened() {
        Chain c = Monitor.of(new FinalChain(), Chain.class);
        assertThat(c.next()).isSameAs(c);
        assertThatThrownBy(c::concrete)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Chain.concrete: returned its own target (this")
                .hasMessageContaining("is not a " + FinalChain.class.getName())
                .hasMessageContaining("effects stay")
                .hasMessageNotContaining("make it a monitor");
        assertThat(c.n()).as("the method ran before its result was refused").isEqualTo(2);
    }

    @Test
    void passingAMonitorsRawTargetFromOutsideIsRefusedWithoutAdviceThatDoesNotApply() {
        Builder raw = new Builder();
        Builder b = Monitor.of(raw);
        Registry r = Monitor.of(new Registry());
        assertThatThrownBy(() -> r.register(raw))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("guard")
                .hasMessageContaining("that monitor, what Monitor.of returned, instead of the object itself")
                .hasMessageNotContaining("make it a monitor");
        r.register(b);
        assertThat(r.first()).isSameAs(b);
    }

    /** A monitor whose methods hand out or store things that capture {@code this}. */
    public static class Gauge {
        private int level = 3;

        @MonitorMethod
        public java.util.function.IntSupplier reader() {
            return () -> level; // captures this: the target, not the monitor
        }

        @MonitorMethod
        public java.util.function.IntSupplier snapshotReader() {
            int now = level;
            return () -> now; // captures a value: fine
        }

        record Holding(Gauge gauge) {
        }

        @MonitorMethod
        public Holding holder() {
            return new Holding(this);
        }

        @MonitorMethod
        public void publish(SharedMap<String, Object> into) {
            into.put("gauge", this);
        }

        @MonitorMethod
        public void publishReader(SharedMap<String, Object> into) {
            into.put("reader", (java.util.function.IntSupplier) () -> level);
        }
    }

    /**
     * A monitor method returning a lambda that captures this was told "make it a monitor (Monitor.of)"
     * about its own target, which already is one: the lambda captured the unguarded target. The
     * advice now says what the object is and what to do: capture the values, or the monitor.
     */
    @Test
    void aLambdaCapturingTheTargetGetsAdviceAboutTheTargetNotMakeItAMonitor() {
        Gauge g = Monitor.of(new Gauge());
        assertThatThrownBy(g::reader)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Gauge.reader: return value")
                .hasMessageContaining("captured value")
                .hasMessageContaining("the target of monitor " + g)
                .hasMessageContaining("captures this")
                .hasMessageContaining("capture the values it needs")
                .hasMessageContaining("the monitor itself")
                .hasMessageNotContaining("make it a monitor");
        assertThat(g.snapshotReader().getAsInt()).isEqualTo(3);
        // the same kind: a record component, and values put into a SharedMap from inside the monitor
        assertThatThrownBy(g::holder)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("component gauge")
                .hasMessageContaining("the target of monitor " + g)
                .hasMessageNotContaining("make it a monitor");
        SharedMap<String, Object> map = new SharedMap<>();
        assertThatThrownBy(() -> g.publish(map))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("SharedMap.put")
                .hasMessageContaining("the target of monitor " + g)
                .hasMessageNotContaining("make it a monitor");
        assertThatThrownBy(() -> g.publishReader(map))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("captured value")
                .hasMessageContaining("the target of monitor " + g)
                .hasMessageNotContaining("make it a monitor");
        assertThat(map.isEmpty()).isTrue();
        // a plain object that no monitor guards keeps the plain advice
        assertThat(Shareability.whyNotShareable(new java.util.StringJoiner(","))).contains("make it a monitor");
    }

    // ------------------------------------------------------------------ H: what the wall promises

    public static class Counted {
        private int n;

        @MonitorMethod
        public List<Integer> bumpAndLeak() {
            n++;
            return new ArrayList<>(List.of(n));
        }

        @MonitorMethod
        public void take(Object o) {
            n += 100;
        }

        @MonitorMethod
        public int n() {
            return n;
        }
    }

    @Test
    void aRefusedArgumentChangedNothingAndARefusedResultKeepsTheMethodsEffects() {
        Counted c = Monitor.of(new Counted());
        assertThatThrownBy(() -> c.take(new ArrayList<>()))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("the method did not run");
        assertThat(c.n()).isZero();
        assertThatThrownBy(c::bumpAndLeak)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("the method has run and its effects stay");
        assertThat(c.n()).as("the effect of the method whose result was refused").isEqualTo(1);
    }
}
