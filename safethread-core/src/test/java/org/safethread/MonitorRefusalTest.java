package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Everything {@link Monitor#of} refuses, and every value the monitor's wall refuses: each with an
 * exception whose message says what and where, and with the state untouched.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorRefusalTest {

    // ------------------------------------------------------------------ targets Monitor.of refuses

    static final class FinalTarget {
        int touched;

        @MonitorMethod
        public void m() {
            touched++;
        }
    }

    static sealed class SealedTarget permits SealedSub {
        @MonitorMethod
        public void m() {
        }
    }

    static final class SealedSub extends SealedTarget {
    }

    static class NoMonitorMethods {
        int n;

        public void m() {
            n++;
        }
    }

    static class PublicFinal {
        @MonitorMethod
        public void m() {
        }

        public final void sneak() {
        }
    }

    static class StaticMonitorMethod {
        @MonitorMethod
        public void m() {
        }

        @MonitorMethod
        public static void s() {
        }
    }

    static class PrivateMonitorMethod {
        @MonitorMethod
        public void m() {
        }

        @MonitorMethod
        private void p() {
        }

        void callP() {
            p();
        }
    }

    static class FinalMonitorMethod {
        @MonitorMethod
        public void m() {
        }

        @MonitorMethod
        final void f() {
        }
    }

    public interface Poke {
        void poke();
    }

    static class CountedThing extends RefCounted implements Poke {
        int pokes;

        @MonitorMethod
        @Override
        public void poke() {
            pokes++;
        }
    }

    // ------------------------------------------------------------------ targets for the wall

    public static class Account {
        private long balance;
        private int calls;
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        @MonitorMethod
        public void deposit(Object amount) {
            calls++;
            balance += ((Number) amount).longValue();
        }

        @MonitorMethod
        public void transfer(long amount, Object memo, double rate) {
            calls++;
            balance += amount;
        }

        @MonitorMethod
        public List<Long> history() {
            calls++;
            return new ArrayList<>(List.of(balance));
        }

        @MonitorMethod
        public Object leak() {
            calls++;
            return new long[] {balance};
        }

        @MonitorMethod
        public List<Long> goodHistory() {
            return List.of(balance);
        }

        @MonitorMethod
        public int calls() {
            return calls;
        }

        @MonitorMethod
        public void hold() {
            entered.countDown();
            MonitorTesting.await(release);
        }
    }

    public interface Ledger {
        void record(Object entry);

        Object last();

        int size();
    }

    static final class LedgerImpl implements Ledger {
        final List<Object> entries = new ArrayList<>();
        Object next;

        @Override
        public void record(Object entry) {
            entries.add(entry);
        }

        @Override
        public Object last() {
            return next;
        }

        @Override
        public int size() {
            return entries.size();
        }
    }

    // ------------------------------------------------------------------ Monitor.of refusals

    @Test
    void refusesAFinalClassAndPointsToInterfaceProxies() {
        FinalTarget t = new FinalTarget();
        assertThatThrownBy(() -> Monitor.of(t))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(FinalTarget.class.getName())
                .hasMessageContaining("final")
                .hasMessageContaining("interface");
        assertThat(t.touched).isZero();
        // The refusal is stable (cached) and still clear the second time.
        assertThatThrownBy(() -> Monitor.of(t)).hasMessageContaining("final");
    }

    record Amount(long cents) {
    }

    enum Mode {
        SLOW,
        FAST {
            @Override
            int speed() {
                return 2;
            }
        };

        int speed() {
            return 1;
        }
    }

    /**
     * Arrays, lambdas, records and enums are final classes too, but "make it non-final" is advice no one can take
     * for them: the refusal says what can be done instead.
     */
    @Test
    void refusesAnArrayALambdaARecordOrAnEnumSayingWhatCanBeDoneInstead() {
        assertThatThrownBy(() -> Monitor.of(new long[4]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("long[] is an array")
                .hasMessageContaining("private field")
                .hasMessageNotContaining("make it non-final");
        Runnable lambda = () -> { };
        assertThatThrownBy(() -> Monitor.of(lambda))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lambda")
                .hasMessageContaining("Monitor.of(target, Iface.class)")
                .hasMessageNotContaining("make it non-final");
        assertThatThrownBy(() -> Monitor.of(new Amount(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a record").hasMessageContaining("Monitor.of(target, Iface.class)")
                .hasMessageNotContaining("make it non-final");
        assertThatThrownBy(() -> Monitor.of(Mode.SLOW))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is an enum").hasMessageNotContaining("make it non-final");
        assertThatThrownBy(() -> Monitor.of(Mode.FAST)) // a constant with a body: a subclass of the enum
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is an enum").hasMessageNotContaining("make it non-final");
        // Through its interface, as the message says, a lambda is guarded.
        Runnable guarded = Monitor.of(lambda, Runnable.class);
        assertThat(Monitor.isMonitor(guarded)).isTrue();
        guarded.run();
    }

    @Test
    void refusesASealedClass() {
        assertThatThrownBy(() -> Monitor.of(new SealedTarget()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(SealedTarget.class.getName())
                .hasMessageContaining("sealed");
    }

    @Test
    void refusesAClassWithoutMonitorMethods() {
        NoMonitorMethods t = new NoMonitorMethods();
        assertThatThrownBy(() -> Monitor.of(t))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(NoMonitorMethods.class.getName())
                .hasMessageContaining("no @MonitorMethod");
        assertThat(t.n).isZero();
    }

    @Test
    void refusesAPublicFinalMethod() {
        assertThatThrownBy(() -> Monitor.of(new PublicFinal()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sneak")
                .hasMessageContaining("final");
    }

    @Test
    void refusesMonitorMethodOnStaticPrivateOrFinalMethods() {
        assertThatThrownBy(() -> Monitor.of(new StaticMonitorMethod()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("StaticMonitorMethod.s")
                .hasMessageContaining("static");
        assertThatThrownBy(() -> Monitor.of(new PrivateMonitorMethod()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PrivateMonitorMethod.p")
                .hasMessageContaining("private");
        assertThatThrownBy(() -> Monitor.of(new FinalMonitorMethod()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FinalMonitorMethod.f")
                .hasMessageContaining("final");
    }

    @Test
    void refusesNull() {
        assertThatThrownBy(() -> Monitor.of(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("target");
        assertThatThrownBy(() -> Monitor.of(null, Poke.class))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("target");
    }

    @Test
    void refusesAValueThatAlreadyIsAMonitor() {
        Account a = Monitor.of(new Account());
        assertThatThrownBy(() -> Monitor.of(a))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already is a monitor")
                .hasMessageContaining(a.toString());
        Ledger l = Monitor.of(new LedgerImpl(), Ledger.class);
        assertThatThrownBy(() -> Monitor.of(l, Ledger.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already is a monitor");
    }

    @Test
    void refusesARefCountedForAClassProxyButAcceptsItBehindAnInterface() {
        CountedThing c = new CountedThing();
        try {
            assertThatThrownBy(() -> Monitor.of(c))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(CountedThing.class.getName())
                    .hasMessageContaining("RefCounted")
                    .hasMessageContaining("interface");
            assertThat(c.pokes).isZero();
            Poke p = Monitor.of(c, Poke.class);
            p.poke();
            assertThat(c.pokes).isEqualTo(1);
        } finally {
            c.decref();
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void interfaceProxyRefusesANonInterfaceOrATargetThatDoesNotImplementIt() {
        Account a = new Account();
        assertThatThrownBy(() -> Monitor.of(a, Account.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Account.class.getName())
                .hasMessageContaining("not an interface");
        assertThatThrownBy(() -> Monitor.of((Object) a, (Class) Poke.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Account.class.getName())
                .hasMessageContaining("does not implement")
                .hasMessageContaining(Poke.class.getName());
        assertThat(a.calls).isZero();
    }

    // ------------------------------------------------------------------ the wall: arguments

    @Test
    void unshareableArgumentIsRefusedNamingMethodPositionAndClassAndTheMethodDoesNotRun() {
        Account target = new Account();
        Account a = Monitor.of(target);
        assertThatThrownBy(() -> a.deposit(new ArrayList<>(List.of(1))))
                .isInstanceOf(UnshareableException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Account.deposit: argument 1 (java.util.ArrayList) is not shareable");
        assertThat(target.calls).as("method ran").isZero();
        assertThat(target.balance).isZero();

        // The position counts parameters, not JVM slots (a long takes two).
        assertThatThrownBy(() -> a.transfer(5, new StringBuilder("memo"), 1.0))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Account.transfer: argument 2 (java.lang.StringBuilder) is not shareable");
        assertThatThrownBy(() -> a.transfer(5, Collections.unmodifiableList(new ArrayList<>()), 1.0))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("argument 2 (java.util.Collections$UnmodifiableRandomAccessList)");
        assertThat(target.calls).isZero();
        assertThat(target.balance).isZero();

        // Shareable ones go through.
        a.deposit(7L);
        a.transfer(3, List.of("memo"), 1.0);
        a.transfer(3, null, 1.0);
        a.transfer(3, Map.of("k", 1), 1.0);
        assertThat(target.balance).isEqualTo(16);
    }

    @Test
    void argumentIsCheckedBeforeEnteringSoARefusedCallDoesNotWaitForTheMonitor() throws Throwable {
        Account target = new Account();
        Account a = Monitor.of(target);
        Worker holder = start("holder", a::hold);
        MonitorTesting.await(target.entered);
        try {
            // With the monitor held elsewhere, a refused call fails at once instead of blocking.
            Worker refused = start("refused", () -> a.deposit(new ArrayList<>()));
            Throwable t = refused.joinAndGetFailure();
            assertThat(t).isInstanceOf(UnshareableException.class);
        } finally {
            target.release.countDown();
        }
        holder.joinAndCheck();
        assertThat(a.calls()).isZero();
    }

    @Test
    void interfaceProxyChecksArgumentsAndResultsToo() {
        LedgerImpl target = new LedgerImpl();
        Ledger l = Monitor.of(target, Ledger.class);
        assertThatThrownBy(() -> l.record(new int[] {1}))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Ledger.record: argument 1 ([I) is not shareable");
        assertThat(target.entries).isEmpty();
        l.record("ok");
        assertThat(l.size()).isEqualTo(1);

        target.next = new ArrayList<>();
        assertThatThrownBy(l::last)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Ledger.last: return value (java.util.ArrayList) is not shareable");
        target.next = List.of("fine");
        assertThat(l.last()).isEqualTo(List.of("fine"));
    }

    // ------------------------------------------------------------------ the wall: results

    @Test
    void unshareableReturnValueIsRefusedAndTheMonitorIsReleased() throws Throwable {
        Account target = new Account();
        Account a = Monitor.of(target);
        assertThatThrownBy(a::history)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Account.history: return value (java.util.ArrayList) is not shareable");
        assertThatThrownBy(a::leak)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Account.leak: return value ([J) is not shareable");
        // Released: another thread can enter (bounded join).
        start("after", () -> assertThat(a.calls()).isEqualTo(2)).joinAndCheck();
        assertThat(a.goodHistory()).containsExactly(0L);
    }
}
