package org.safethread.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.vm.VM;
import org.safethread.Ref;
import org.safethread.RefCounted;

/**
 * Per-object memory overhead of {@link RefCounted}, measured with JOL (not a JMH benchmark):
 * instance sizes of an empty {@code RefCounted} subclass and of one with an {@code int} field,
 * against a plain {@code Object} and a plain class with an {@code int} field, on the running VM
 * (compressed oops and class pointers as the VM has them). Also shown, for context: a
 * {@link Ref} slot (one per traced field) and the out-of-line {@code Extras} an object gets only
 * when it has a finalizer core, cells or death watches.
 *
 * <p>Goal: a {@code RefCounted} at most 24 bytes larger than the same plain object.
 *
 * <p>Run: {@code java -cp safethread-bench/target/benchmarks.jar org.safethread.bench.Layout}
 * (add {@code --details} to print JOL's field-by-field layouts).
 */
public final class Layout {
    private Layout() {
    }

    /** An empty counted object. */
    public static final class EmptyCounted extends RefCounted {
    }

    /** A counted object with one int. */
    public static final class IntCounted extends RefCounted {
        int value;
    }

    /** A plain object with one int. */
    public static final class PlainInt {
        int value;
    }

    /** A counted object with one traced slot (its Ref is a separate object). */
    public static final class RefHolder extends RefCounted {
        final Ref<RefHolder> next = new Ref<>();
    }

    /** A plain object with one plain reference field. */
    public static final class PlainRefHolder {
        PlainRefHolder next;
    }

    private record Row(String what, long size, String peer, long peerSize) {
    }

    public static void main(String[] args) throws Exception {
        boolean details = args.length > 0 && args[0].equals("--details");
        System.out.println(VM.current().details().trim());
        System.out.println();

        List<Row> rows = new ArrayList<>();
        long object = size(Object.class);
        long plainInt = size(PlainInt.class);
        rows.add(new Row("RefCounted, empty subclass", size(EmptyCounted.class), "Object", object));
        rows.add(new Row("RefCounted + int field", size(IntCounted.class), "plain class + int field", plainInt));
        long refSlot = size(Ref.class);
        rows.add(new Row("RefCounted + Ref field (object + its Ref)", size(RefHolder.class) + refSlot,
                "plain class + reference field", size(PlainRefHolder.class)));

        System.out.println("| Object | Bytes | Plain peer | Peer bytes | Overhead | Goal <= 24 B |");
        System.out.println("|---|---:|---|---:|---:|---|");
        for (Row r : rows) {
            long over = r.size - r.peerSize;
            boolean goalRow = !r.what.contains("Ref field");
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %d | %+d | %s |%n", r.what, r.size, r.peer, r.peerSize, over,
                    goalRow ? (over <= 24 ? "met" : "MISSED") : "n/a (a Ref is a traced slot object)");
        }
        System.out.println();
        Class<?> extras = Class.forName("org.safethread.internal.refcount.Extras");
        Class<?> leakRef = Class.forName("org.safethread.internal.finalizer.LeakRef");
        System.out.printf(Locale.ROOT, "Out of line, only when needed: Extras %d B (finalizer core, cells, watches); "
                + "LeakRef %d B (a phantom reference, linked in a striped list; objects with a finalizer core "
                + "or leak tracking).%n",
                size(extras), size(leakRef));

        if (details) {
            for (Class<?> c : new Class<?>[] {EmptyCounted.class, IntCounted.class, PlainInt.class, Ref.class, extras}) {
                System.out.println();
                System.out.println(ClassLayout.parseClass(c).toPrintable());
            }
        }
    }

    private static long size(Class<?> c) {
        return ClassLayout.parseClass(c).instanceSize();
    }
}
