package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every snippet of docs/guide.md, compiled and run, so the guide stays true. */
@Timeout(60)
class GuideExamplesTest {

    // §1
    public static class Account {
        private long balance;

        @MonitorMethod
        public void deposit(long amount) {
            balance += amount;
        }

        @MonitorMethod
        public long balance() {
            return balance;
        }

        @MonitorMethod
        public void transferTo(Account to, long amount) {
            to.deposit(amount);   // the call that may be refused comes first...
            balance -= amount;    // ...so a refused transfer has changed nothing
        }

        // §15
        @MonitorMethod
        public long sumWith(Account other) {
            return balance + other.balance();     // holds this, then enters other
        }
    }

    public interface Counter {
        int increment();

        int get();
    }

    static final class SimpleCounter implements Counter {
        private int n;

        public int increment() {
            return ++n;
        }

        public int get() {
            return n;
        }
    }

    @Test
    void monitors() {
        Account account = Monitor.of(new Account());
        account.deposit(100);
        assertThat(account.balance()).isEqualTo(100);
        assertThat(account.toString()).startsWith("Account#");
        Counter counter = Monitor.of(new SimpleCounter(), Counter.class);
        assertThat(counter.increment()).isEqualTo(1);
    }

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
    }

    @Test
    void aMonitorMethodReturningThisReturnsTheMonitor() {
        Builder b = Monitor.of(new Builder());
        assertThat(b.add("a").add("b")).isSameAs(b);
        assertThat(b.build()).containsExactly("a", "b");
    }

    // §2
    public static class Tally {
        private int n;

        @MonitorMethod
        public List<Integer> bump() {
            n++;
            return new ArrayList<>(List.of(n));
        }

        @MonitorMethod
        public int n() {
            return n;
        }
    }

    @Test
    void aRefusedResultKeepsTheMethodsEffects() {
        Tally t = Monitor.of(new Tally());
        assertThatThrownBy(t::bump)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Tally.bump: return value (java.util.ArrayList)");
        assertThat(t.n()).isEqualTo(1);
    }

    public static class Ledger {
        @MonitorMethod
        public void record(Object entry) {
        }
    }

    @Test
    void shareability() {
        Ledger l = Monitor.of(new Ledger());
        assertThatThrownBy(() -> l.record(new ArrayList<>(List.of(1))))
                .isInstanceOf(UnshareableException.class)
                .hasMessageStartingWith("Ledger.record: argument 1 (java.util.ArrayList) is not shareable")
                .hasMessageContaining("List.copyOf");
        l.record(List.of(1, 2));
        assertThat(Shareability.whyNotShareable(new int[1])).contains("arrays are mutable");
    }

    // §2, holders
    @Shareable
    static final class Connection extends RefCounted {        // thread-safe API of its own
        final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
    }

    static final class Lines extends RefCounted {             // plain mutable state
        final List<String> lines = new ArrayList<>();
    }

    @Test
    void holders() {
        Ledger ledger = Monitor.of(new Ledger());
        ledger.record(new Ref<>(new Connection()));
        assertThatThrownBy(() -> ledger.record(new Ref<>(new Lines())))
                .isInstanceOf(UnshareableException.class).hasMessageContaining("Ref value is")
                .hasMessageContaining(Lines.class.getName());
        assertThatThrownBy(() -> ledger.record(new java.util.concurrent.atomic.AtomicReference<>(new ArrayList<>())))
                .isInstanceOf(UnshareableException.class).hasMessageContaining("AtomicReference value");
    }

    // §3
    public static class BoundedQueue {
        private final ArrayDeque<String> items = new ArrayDeque<>();
        private final int capacity;

        public BoundedQueue(int capacity) {
            this.capacity = capacity;
        }

        @MonitorMethod
        public void put(String item) throws InterruptedException {
            Monitor.await(() -> items.size() < capacity);
            items.add(item);
        }

        @MonitorMethod
        public String take() throws InterruptedException {
            Monitor.await(() -> !items.isEmpty());
            return items.poll();
        }
    }

    @Test
    void conditions() throws Exception {
        BoundedQueue q = Monitor.of(new BoundedQueue(2));
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < 100; i++) {
                    q.put("item-" + i);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        producer.start();
        for (int i = 0; i < 100; i++) {
            assertThat(q.take()).isEqualTo("item-" + i);
        }
        producer.join(10_000);
    }

    // §4
    public static class Cache {
        private String cached;

        static String fetchFromNetwork() {
            return "fresh";
        }

        @MonitorMethod
        public String refresh() {
            String fresh = Monitor.leave(() -> fetchFromNetwork());
            this.cached = fresh;
            return fresh;
        }
    }

    @Test
    void leaving() {
        assertThat(Monitor.of(new Cache()).refresh()).isEqualTo("fresh");
    }

    // §5
    static void transfer(Account from, Account to, long amount) {
        for (;;) {
            try {
                from.transferTo(to, amount);
                return;
            } catch (DeadlockException e) {
                // refused; retry
            }
        }
    }

    @Test
    void deadlocks() throws Exception {
        Account a = Monitor.of(new Account());
        Account b = Monitor.of(new Account());
        a.deposit(1_000_000);
        b.deposit(1_000_000);
        long before = SafeThread.stats().deadlocksBroken();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            boolean ab = t % 2 == 0;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    if (ab) {
                        transfer(a, b, 1);
                    } else {
                        transfer(b, a, 1);
                    }
                }
            });
            ts.add(th);
            th.start();
        }
        go.countDown();
        for (Thread th : ts) {
            th.join(50_000);
            assertThat(th.isAlive()).isFalse();
        }
        assertThat(a.balance() + b.balance()).isEqualTo(2_000_000);
        assertThat(SafeThread.stats().deadlocksBroken()).isGreaterThanOrEqualTo(before);
    }

    // §6 (@Shareable: a counted resource whose only state is Ref fields, which are thread-safe; so
    // a Ref to one may cross a wall, e.g. as a WeakKeyMap value in §13)
    @Shareable
    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    @Test
    void threadPools() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            Node n = pool.submit(() -> new Node()).get(); // made on a pool thread, which then idles
            n.decref(); // dies here, on this thread
            assertThat(n.isAlive()).isFalse();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void referenceCounting() {
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.decref();
        assertThat(b.isAlive()).isTrue();
        a.decref();
        assertThat(a.isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
    }

    // §6: Refs in a collection are not released at death
    static final class Bag extends RefCounted {
        final List<Ref<Node>> items = new ArrayList<>(); // not released by Bag's death

        void add(Node n) {
            items.add(new Ref<>(n));
        }

        void release() { // call before the last decref
            items.forEach(Ref::clear);
            items.clear();
            decref();
        }
    }

    @Test
    void refsInACollectionAreReleasedByHandNotByDeath() {
        Bag bag = new Bag();
        Node n = new Node();
        bag.add(n);
        n.decref(); // only the bag's Ref keeps n now
        bag.release(); // the Refs cleared, then the bag's own reference: both die
        assertThat(n.isAlive()).isFalse();
        assertThat(bag.isAlive()).isFalse();

        // what the guide warns about: a plain decref kills the bag, but not the Ref in its list
        Bag forgot = new Bag();
        Node kept = new Node();
        forgot.add(kept);
        kept.decref();
        forgot.decref();
        assertThat(forgot.isAlive()).isFalse();
        assertThat(kept.isAlive()).as("a Ref in a collection is not released at its holder's death").isTrue();
        assertThat(kept.refCount()).isEqualTo(1);
        forgot.items.get(0).clear(); // clean up by hand, as the guide says
        assertThat(kept.isAlive()).isFalse();
    }

    // §7
    static final class Pool {
        static final ConcurrentLinkedQueue<ByteBuffer> FREE = new ConcurrentLinkedQueue<>();

        static void release(ByteBuffer b) {
            FREE.add(b);
        }
    }

    @Shareable
    static final class BufferCore {
        final ByteBuffer buffer;

        BufferCore(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Finalize
        void free() {
            Pool.release(buffer);
        }
    }

    static final class Buffer extends RefCounted {
        @FinalizerCore
        final BufferCore core;

        Buffer(int size) {
            core = new BufferCore(ByteBuffer.allocateDirect(size));
        }

        ByteBuffer bytes() {
            return core.buffer;
        }
    }

    @Test
    void finalizerCores() {
        int before = Pool.FREE.size();
        Buffer buf = new Buffer(1024);
        ByteBuffer bytes = buf.bytes();
        buf.decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        assertThat(Pool.FREE).contains(bytes);
        assertThat(Pool.FREE.size()).isEqualTo(before + 1);
    }

    // §14: stopping the runtime; later use restarts it
    @Test
    void shutdownThenLaterUse() {
        Buffer pending = new Buffer(1024);
        ByteBuffer bytes = pending.bytes();
        pending.decref();                         // its finalizer is pending or has run
        boolean clean = SafeThread.shutdown(Duration.ofSeconds(10));
        // Whether other tests' threads ended in time is theirs to say; the finalizer that was
        // pending at the call has run either way when the drain finished in time.
        if (clean) {
            assertThat(Pool.FREE).contains(bytes);
        }
        Buffer later = new Buffer(1024);          // later use: the finalizer thread starts again
        ByteBuffer laterBytes = later.bytes();
        later.decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        assertThat(Pool.FREE).contains(bytes, laterBytes);
    }

    // §8
    @Test
    void deathQueues() throws Exception {
        Node node = new Node();
        DeathQueue<String> deaths = new DeathQueue<>();
        DeathQueue.Handle h = deaths.watch(node, "node-1");
        node.decref();
        assertThat(deaths.take()).isEqualTo("node-1");
        assertThat(deaths.cancel(h)).isFalse();
    }

    // §9
    @Test
    void theCollector() {
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.next.set(a);
        a.decref();
        b.decref();
        CollectionResult r = SafeThread.collect();
        assertThat(r.duration()).isNotNull();
        assertThat(a.isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
        AtomicInteger unused = new AtomicInteger();
        assertThat(unused.get()).isZero();
    }

    // §15
    static int sumOfSquares(int n) throws InterruptedException {
        try (Branch b = Branch.open()) {                    // children on new platform threads
            List<Branch.Child<Integer>> parts = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                int k = i;
                parts.add(b.fork(() -> k * k));             // the task must be shareable
            }
            b.join();                                       // waits for every child, then reports
            int sum = 0;
            for (Branch.Child<Integer> p : parts) {
                sum += p.get();
            }
            return sum;
        }
    }

    static long[] crossTotals(Account a, Account b) throws InterruptedException {
        for (;;) {
            try (Branch br = Branch.open()) {
                Branch.Child<Long> x = br.fork(() -> a.sumWith(b));
                Branch.Child<Long> y = br.fork(() -> b.sumWith(a));   // may deadlock with x
                br.join();                     // a child's DeadlockException, rethrown as itself
                return new long[] {x.get(), y.get()};
            } catch (DeadlockException e) {
                // one child was refused an entry and changed nothing: retry the whole branch
            }
        }
    }

    static void crunch(long i) {
        Thread.onSpinWait();
    }

    public static class Catalog {
        private List<String> items = List.of();

        @MonitorMethod
        public void refresh(Catalog self) {
            List<String> fresh = Monitor.leave(Catalog::fetchAll);   // no branch is open inside this monitor
            items = fresh;
        }

        @MonitorMethod
        public List<String> items() {
            return items;
        }

        static List<String> fetchAll() {
            try (Branch b = Branch.open()) {
                Branch.Child<String> x = b.fork(() -> "x");
                Branch.Child<String> y = b.fork(() -> "y");
                b.join();
                return List.of(x.get(), y.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancelledException("interrupted while fetching");
            }
        }
    }

    @Test
    void branches() throws Exception {
        assertThat(sumOfSquares(10)).isEqualTo(385);
        List<String> list = new ArrayList<>();
        try (Branch b = Branch.open()) {
            assertThatThrownBy(() -> b.fork(() -> list.add("x"))).isInstanceOf(UnshareableException.class)
                    .hasMessageContaining("Branch.fork");
            b.join();
        }
        Account a = Monitor.of(new Account());
        Account c = Monitor.of(new Account());
        a.deposit(1);
        c.deposit(2);
        for (int i = 0; i < 50; i++) {
            assertThat(crossTotals(a, c)).containsExactly(3L, 3L);
        }
        try (Branch b = Branch.open()) {
            Branch.Child<Void> cruncher = b.fork(() -> {
                for (long i = 0; ; i++) {
                    SafeThread.checkpoint();       // throws CancelledException once b is cancelled
                    crunch(i);
                }
            });
            Branch.Child<Void> sleeper = b.fork(() -> {
                Thread.sleep(60_000);              // woken by the cancellation's interrupt
                return null;
            });
            b.cancel();
            b.join();                              // returns: cancelled children are not failures
            assertThat(cruncher.state()).isEqualTo(Branch.Child.State.CANCELLED);
            assertThat(sleeper.state()).isEqualTo(Branch.Child.State.CANCELLED);
        }
        Catalog cat = Monitor.of(new Catalog());
        cat.refresh(cat);
        assertThat(cat.items()).containsExactly("x", "y");
    }

    // §13 (Node is §6's)
    record Owner(String name) {
    }

    @Test
    void weakReferences() {
        Node node = new Node();
        WeakRef<Node> weak = new WeakRef<>(node);
        Node mine = weak.acquire();      // a counted reference, or null if node already died
        assertThat(mine).isSameAs(node);
        mine.decref();
        node.decref();                   // the last reference: node dies
        assertThat(weak.get()).isNull();
        assertThat(weak.acquire()).isNull();
        WeakRef<Object> plain = new WeakRef<>(new Object());
        assertThatThrownBy(plain::acquire).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void weakKeyedMapsAndTheWeakHashMapLeak() throws Exception {
        java.util.Map<Object, Object> cache = new java.util.WeakHashMap<>();
        Object key = new Object();
        cache.put(key, List.of(key));    // the value refers to its key
        key = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(cache).as("WeakHashMap keeps the entry: the value keeps its key").hasSize(1);

        WeakKeyMap<Node, Ref<Node>> map = new WeakKeyMap<>();
        Node k = new Node();
        map.put(k, new Ref<>(k));        // the value holds a counted reference back to its key
        k.decref();
        SafeThread.collect();            // k is dead, and its entry gone
        assertThat(k.isAlive()).isFalse();
        assertThat(map.size()).isZero();

        WeakKeyMap<Object, Object> plainKeys = new WeakKeyMap<>();
        Owner owner = new Owner("o");
        assertThatThrownBy(() -> plainKeys.put(owner, List.of(List.of(owner))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value[0][0]");
        plainKeys.put(owner, new WeakRef<>("fine"));
    }

    // §16
    record Quote(String symbol, long cents) {
    }

    @Test
    void sharedMap() {
        SharedMap<String, Quote> quotes = new SharedMap<>();
        quotes.put("ACME", new Quote("ACME", 1250));
        quotes.compute("ACME", (k, q) -> new Quote(k, q.cents() + 5));
        Quote q = quotes.computeIfAbsent("INIT", k -> new Quote(k, 100));
        assertThat(q).isEqualTo(new Quote("INIT", 100));
        assertThatThrownBy(() -> quotes.put("bad", null)).isInstanceOf(NullPointerException.class);
        java.util.Map<String, Quote> copy = quotes.snapshot();   // an immutable copy (shareable)

        SharedMap<String, Object> any = new SharedMap<>();
        any.put("list", List.of());             // fine: List.of is shareable...
        assertThatThrownBy(() -> any.put("x", new ArrayList<>())).isInstanceOf(UnshareableException.class)
                .hasMessageStartingWith("SharedMap.put: value (java.util.ArrayList) is not shareable");
        assertThat(copy).containsEntry("ACME", new Quote("ACME", 1255)).hasSize(2);

        SharedMap<String, Integer> m = new SharedMap<>();
        assertThatThrownBy(() -> m.computeIfAbsent("a", k -> m.computeIfAbsent("a", kk -> 1) + 1))
                .isInstanceOf(DeadlockException.class)
                .hasMessageContaining("the computeIfAbsent mapping of SharedMap key \"a\"")
                .hasMessageContaining("asks for SharedMap key \"a\" itself");
        assertThat(m.containsKey("a")).isFalse();
    }

    // §17
    @Test
    void monitorSpace() {
        MonitorSpace bank = MonitorSpace.create("bank");
        Account a = bank.monitor(new Account());
        Account b = bank.monitor(new Account());
        a.deposit(100);
        a.transferTo(b, 30);
        assertThat(MonitorSpace.of(a)).isEqualTo(MonitorSpace.of(b));
        assertThat(a.balance()).isEqualTo(70);
        assertThat(b.balance()).isEqualTo(30);
    }
}
