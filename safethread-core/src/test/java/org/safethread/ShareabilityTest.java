package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What may cross a monitor's wall (CONTRACT §1, "Shareability at the wall"): every category,
 * each with a shareable and an unshareable case, through {@link Shareability#isShareable},
 * {@link Shareability#whyNotShareable}, and (for a sample) a real monitor call.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShareabilityTest {

    enum Color { RED, GREEN }

    enum Op {
        PLUS {
            @Override
            int apply(int a, int b) {
                return a + b;
            }
        },
        TIMES {
            @Override
            int apply(int a, int b) {
                return a * b;
            }
        };

        abstract int apply(int a, int b);
    }

    record Point(int x, int y) {
    }

    record Named(String name, Point where, List<String> tags) {
    }

    record Holder(Object value) {
    }

    record Outer(Holder inner, String label) {
    }

    record Empty() {
    }

    record WithArray(String[] parts) {
    }

    /** A plain mutable object. */
    static class Plain {
        int x;

        IntSupplier readsField() {
            return () -> x; // captures this
        }

        int get() {
            return x;
        }
    }

    @Shareable
    static class Vouched {
        final int v = 1;
    }

    /** Not annotated itself: the annotation is not inherited. */
    static class SubOfVouched extends Vouched {
        int mutable;
    }

    @Shareable
    static final class FinalVouched {
    }

    /** A monitor target used to carry values across the wall. */
    public static class Box {
        private Object value;

        @MonitorMethod
        public void put(Object v) {
            value = v;
        }

        @MonitorMethod
        public Object get() {
            return value;
        }
    }

    public static class Counter {
        private int n;

        @MonitorMethod
        public int inc() {
            return ++n;
        }
    }

    private static void shareable(Object o) {
        assertThat(Shareability.isShareable(o))
                .as("shareable: %s (%s); why not: %s", o, o == null ? null : o.getClass(),
                        Shareability.whyNotShareable(o))
                .isTrue();
        assertThat(Shareability.whyNotShareable(o)).as("whyNot for %s", o).isNull();
    }

    private static void notShareable(Object o) {
        assertThat(Shareability.isShareable(o)).as("not shareable: %s", o == null ? null : o.getClass()).isFalse();
        assertThat(Shareability.whyNotShareable(o)).as("whyNot for %s", o).isNotBlank();
    }

    // ------------------------------------------------------------------ simple values

    @Test
    void nullBoxesAndStrings() {
        shareable(null);
        for (Object o : List.of(true, 'c', (byte) 1, (short) 2, 3, 4L, 5f, 6d, "text", "")) {
            shareable(o);
        }
        notShareable(new StringBuilder("mutable"));
        notShareable(new Object());
    }

    @Test
    void enumsIncludingConstantSpecificBodies() {
        shareable(Color.RED);
        shareable(Op.PLUS);
        shareable(Op.TIMES);
        assertThat(Op.PLUS.getClass()).as("a constant-specific body is its own class").isNotEqualTo(Op.class);
        shareable(Thread.State.RUNNABLE);
        shareable(TimeUnit.SECONDS);
    }

    @Test
    void classObjects() {
        shareable(String.class);
        shareable(int.class);
        shareable(Plain.class);
        shareable(int[].class);
    }

    @Test
    void jdkValueTypes() {
        shareable(Instant.now());
        shareable(Duration.ofSeconds(3));
        shareable(LocalDate.of(2024, 2, 29));
        shareable(LocalDateTime.now());
        shareable(ZonedDateTime.now(ZoneId.of("Europe/Paris")));
        shareable(ZoneId.of("Europe/Paris"));
        shareable(ZoneOffset.UTC);
        shareable(Period.ofDays(2));
        shareable(BigInteger.TEN.pow(40));
        shareable(new BigDecimal("3.14159"));
        shareable(UUID.randomUUID());
        shareable(URI.create("https://example.org/x"));
        shareable(Path.of("/tmp", "x"));
        shareable(java.util.Locale.FRANCE);
        shareable(java.util.regex.Pattern.compile("a+"));
    }

    @Test
    void subclassesOfNonFinalJdkValueTypesAreNotTrusted() {
        // BigInteger is not final: a subclass may add mutable state.
        BigInteger sneaky = new BigInteger("5") {
            int mutable;

            @Override
            public int intValue() {
                return mutable++;
            }
        };
        notShareable(sneaky);
    }

    @Test
    void optionals() {
        shareable(Optional.empty());
        shareable(Optional.of("x"));
        shareable(Optional.of(Optional.of(42)));
        notShareable(Optional.of(new ArrayList<>()));
        notShareable(Optional.of(Optional.of(new int[0])));
        assertThat(Shareability.whyNotShareable(Optional.of(new ArrayList<>()))).contains("java.util.ArrayList");
    }

    // ------------------------------------------------------------------ records

    @Test
    void recordsWithShareableComponents() {
        shareable(new Point(1, 2));
        shareable(new Empty());
        shareable(new Named("n", new Point(0, 0), List.of("a", "b")));
        shareable(new Holder(null));
        shareable(new Outer(new Holder(new Point(1, 1)), "ok"));
        shareable(new Holder(Monitor.of(new Counter())));
    }

    @Test
    void recordsWithUnshareableComponentsEvenNested() {
        notShareable(new Holder(new ArrayList<>()));
        notShareable(new Named("n", new Point(0, 0), new ArrayList<>()));
        notShareable(new WithArray(new String[] {"a"}));
        Outer nested = new Outer(new Holder(new HashMap<>()), "deep");
        notShareable(nested);
        String why = Shareability.whyNotShareable(nested);
        assertThat(why).contains("inner").contains("value").contains("java.util.HashMap");
        notShareable(new Holder(new Holder(new Holder(new Plain()))));
    }

    // ------------------------------------------------------------------ collections

    @Test
    void immutableJdkCollectionsOfShareables() {
        shareable(List.of());
        shareable(List.of(1));
        shareable(List.of(1, 2));
        shareable(List.of(1, 2, 3, 4, 5));
        shareable(List.of(1, 2, 3, 4).subList(1, 3));
        shareable(Set.of());
        shareable(Set.of("a"));
        shareable(Set.of("a", "b", "c"));
        shareable(Map.of());
        shareable(Map.of("k", 1));
        shareable(Map.of("a", 1, "b", 2, "c", 3));
        shareable(Map.entry("k", List.of(1)));
        shareable(List.copyOf(new ArrayList<>(List.of("x", "y"))));
        shareable(Set.copyOf(new HashSet<>(Set.of(1, 2))));
        shareable(Map.copyOf(new HashMap<>(Map.of("a", "b"))));
        shareable(Collections.emptyList());
        shareable(Collections.emptySet());
        shareable(Collections.emptyMap());
        shareable(Collections.singletonList("x"));
        shareable(Collections.singleton("x"));
        shareable(Collections.singletonMap("k", "v"));
        shareable(List.of(List.of(Set.of(Map.of("deep", Optional.of(new Point(1, 2)))))));
        shareable(java.util.stream.Stream.of("a", "b").toList());
        shareable(java.util.stream.Stream.of(1, 2).collect(java.util.stream.Collectors.toUnmodifiableList()));
        shareable(Map.ofEntries(Map.entry("a", 1), Map.entry("b", 2)));
    }

    @Test
    void immutableJdkCollectionsWithAnUnshareableElement() {
        notShareable(List.of(new ArrayList<>()));
        notShareable(List.of(1, 2, new int[0]));
        notShareable(List.of(1, 2, 3, new StringBuilder()));
        notShareable(Set.of(new Plain()));
        notShareable(Map.of("k", new ArrayList<>()));
        notShareable(Map.of(new StringBuilder(), "v"));
        notShareable(Map.of("a", 1, "b", 2, "c", new HashSet<>()));
        notShareable(Map.entry("k", new ArrayList<>()));
        notShareable(Map.entry(new Plain(), "v"));
        notShareable(List.copyOf(List.of(new ArrayList<>())));
        notShareable(Collections.singletonList(new ArrayList<>()));
        notShareable(Collections.singletonMap("k", new ArrayList<>()));
        notShareable(List.of(List.of(Optional.of(new Holder(new Object())))));
        notShareable(java.util.stream.Stream.of(new ArrayList<>()).toList());
        String why = Shareability.whyNotShareable(List.of("ok", new ArrayList<>()));
        assertThat(why).contains("element").contains("java.util.ArrayList");
    }

    @Test
    void mutableAndViewCollectionsAreNotShareable() {
        notShareable(new ArrayList<>());
        notShareable(new HashMap<>());
        notShareable(new HashSet<>());
        notShareable(new java.util.LinkedList<>());
        notShareable(Arrays.asList("a", "b"));
        notShareable(Collections.unmodifiableList(new ArrayList<>(List.of("a"))));
        notShareable(Collections.unmodifiableList(List.of("a"))); // a view, even of an immutable list
        notShareable(Collections.unmodifiableMap(Map.of("a", 1)));
        notShareable(Collections.unmodifiableSet(Set.of("a")));
        notShareable(Collections.synchronizedList(new ArrayList<>()));
        notShareable(new HashMap<>(Map.of("k", "v")).keySet());
        assertThat(Shareability.whyNotShareable(Collections.unmodifiableList(new ArrayList<>())))
                .contains("collection");
    }

    @Test
    void arraysAreNotShareableEvenOfStringsOrEmpty() {
        notShareable(new String[] {"a", "b"});
        notShareable(new String[0]);
        notShareable(new int[] {1});
        notShareable(new Object[0]);
        notShareable(new Integer[][] {{1}});
        assertThat(Shareability.whyNotShareable(new String[] {"a"})).contains("array");
    }

    // ------------------------------------------------------------------ monitors, lambdas, annotations

    @Test
    void monitorsAreShareable() {
        shareable(Monitor.of(new Counter()));
        shareable(Monitor.of((IntSupplier) () -> 1, IntSupplier.class));
        notShareable(new Counter()); // the target itself is a plain object
    }

    @Test
    void lambdasAndMethodReferencesDependOnWhatTheyCapture() {
        String s = "captured";
        int i = 7;
        Counter monitor = Monitor.of(new Counter());
        List<String> immutable = List.of("a");
        shareable((Runnable) () -> { });
        shareable((Supplier<String>) () -> s + i);
        shareable((IntSupplier) monitor::inc);
        shareable((Supplier<Integer>) immutable::size);
        shareable((Supplier<String>) String::new);
        shareable((java.util.function.Function<String, Integer>) String::length);
        Supplier<String> inner = () -> s;
        shareable((Supplier<String>) () -> inner.get() + "!"); // captures a shareable lambda

        List<String> mutable = new ArrayList<>();
        notShareable((Runnable) () -> mutable.add("x"));
        notShareable((Supplier<Boolean>) () -> mutable.isEmpty());
        notShareable((java.util.function.Predicate<String>) mutable::add);
        int[] array = {0};
        notShareable((Runnable) () -> array[0]++);
        Runnable bad = () -> mutable.clear();
        notShareable((Runnable) () -> bad.run()); // captures an unshareable lambda
        StringBuilder sb = new StringBuilder();
        notShareable((Supplier<String>) sb::toString);
    }

    @Test
    void lambdaCapturingThisOfAPlainClassIsNotShareable() {
        Plain p = new Plain();
        IntSupplier reads = p.readsField();
        notShareable(reads);
        notShareable((IntSupplier) p::get);
        assertThat(Shareability.whyNotShareable(reads)).contains("lambda").contains(Plain.class.getName());
    }

    @Test
    void lambdasMadeByTheJdkFollowTheSameRule() {
        // Comparator.comparing returns a lambda (defined in java.util.Comparator) that captures
        // only the key extractor; with a shareable extractor it is a lambda whose captured values
        // are all shareable.
        Comparator<String> byLength = Comparator.comparing(String::length);
        shareable(byLength);
        List<String> mutable = new ArrayList<>();
        notShareable(Comparator.comparing((String x) -> mutable.indexOf(x)));
    }

    @Test
    void shareableAnnotationIsForExactlyTheAnnotatedClass() {
        shareable(new Vouched());
        shareable(new FinalVouched());
        notShareable(new SubOfVouched());
    }

    // ------------------------------------------------------------------ thread-safe classes

    @Test
    void javaUtilConcurrentClassesAreShareableExceptThreadLocalRandom() throws Exception {
        shareable(new ConcurrentHashMap<>());
        shareable(ConcurrentHashMap.newKeySet());
        shareable(new ConcurrentLinkedQueue<>());
        shareable(new CopyOnWriteArrayList<>());
        shareable(new ArrayBlockingQueue<>(1));
        shareable(new CountDownLatch(1));
        shareable(new AtomicInteger());
        shareable(new AtomicLong());
        shareable(new AtomicReference<>());
        shareable(new ReentrantLock());
        shareable(new ReentrantReadWriteLock());
        shareable(new ReentrantReadWriteLock().readLock());
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            shareable(ex);
        } finally {
            ex.shutdown();
        }
        notShareable(ThreadLocalRandom.current());
        assertThat(Shareability.whyNotShareable(ThreadLocalRandom.current())).isNotBlank();
    }

    @Test
    void libraryClassesDeathQueueHandleAndRef() {
        DeathQueue<String> q = new DeathQueue<>();
        shareable(q);
        DeathQueue.Handle h = q.watch(new Object(), "payload");
        shareable(h);
        q.cancel(h);
        shareable(new Ref<>());
    }

    // ------------------------------------------------------------------ through a real monitor

    @Test
    void theWallAppliesTheSameRules() {
        Box box = Monitor.of(new Box());
        Object[] ok = {null, 1, "s", Color.GREEN, Op.TIMES, String.class, Instant.EPOCH, BigDecimal.ONE,
            UUID.randomUUID(), URI.create("x:y"), Path.of("p"), Optional.of("o"), new Point(1, 2),
            List.of(1), Set.of(2), Map.of(3, 4), Map.entry("k", "v"), Collections.emptyList(),
            Monitor.of(new Counter()), (Runnable) () -> { }, new Vouched(), new ConcurrentHashMap<>(),
            new AtomicInteger(), new ReentrantLock(), new DeathQueue<>(), new Ref<>()};
        for (Object o : ok) {
            box.put(o);
            assertThat(box.get()).isSameAs(o);
        }
        List<String> mutable = new ArrayList<>();
        Object[] bad = {new ArrayList<>(), new String[] {"a"}, Optional.of(new ArrayList<>()),
            new Holder(new ArrayList<>()), List.of(new ArrayList<>()), Map.entry("k", new ArrayList<>()),
            Collections.unmodifiableList(new ArrayList<>()), (Runnable) () -> mutable.clear(),
            new SubOfVouched(), new Plain(), ThreadLocalRandom.current()};
        box.put("before");
        for (Object o : bad) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> box.put(o))
                    .as("put %s", o.getClass())
                    .isInstanceOf(UnshareableException.class)
                    .hasMessageContaining("Box.put: argument 1 (" + o.getClass().getName() + ") is not shareable");
            assertThat(box.get()).isEqualTo("before");
        }
    }
}
