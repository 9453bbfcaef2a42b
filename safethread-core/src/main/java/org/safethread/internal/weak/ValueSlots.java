package org.safethread.internal.weak;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.internal.refcount.Binding;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.share.ShareRules;

/**
 * What a weak-keyed map's value holds, as counted references, and so what the collector traces
 * as slots of the entry's key and what the key's death releases:
 * <ul>
 *   <li>a {@link RefCounted} value: the map's own counted reference to it (taken by {@code put},
 *       given back by {@code remove} and replacement, released at the key's death);</li>
 *   <li>a {@link Ref} value: the reference the Ref holds. The map holds the Ref like a
 *       {@code Ref} field of the key: at the key's death it is cleared (what it held is
 *       released); {@code remove} and replacement hand it back to the caller untouched;</li>
 *   <li>an immutable value: a record, or an immutable container of the JDK ({@code Optional},
 *       {@code List.of}/{@code Set.of}/{@code Map.of}, their {@code copyOf}, empty and singleton
 *       forms, map entries): the {@code Ref}s among its components or elements, and those of
 *       the immutable values nested in it, held as above. A {@code RefCounted} component or
 *       element is a borrowed (uncounted) reference: the map does not count or trace it (put it
 *       in a {@code Ref} to have it counted);</li>
 *   <li>anything else is not looked into: a {@code Ref} inside a monitor's state, a concurrent
 *       collection, an atomic holder or a lambda is a reference from outside the key (a root for
 *       the collector), since its contents may change without the key's bindings changing.</li>
 * </ul>
 * Until 2026-12-01 only records were followed, so a {@code List.of(ref)} or
 * {@code Optional.of(ref)} value holding a {@code Ref} back to its key kept the key alive for
 * ever (the leak the map exists to avoid); immutable values cannot change under a collection,
 * so following them is as sound as following a record.
 * A {@code Ref} reached twice in one collection (the same Ref also a field of some object, or in
 * two entries) is traced once ({@code RefCounts.markRef}), since it holds one reference.
 *
 * <p>Reading values never calls user code: record components are read from their fields by
 * reflection, as {@code ShareRules} does; JDK containers by their own JDK methods
 * ({@code toArray}, {@code entrySet}), which call no {@code equals} or {@code hashCode}.
 */
final class ValueSlots {
    /** Immutable values nested deeper than this are not followed (a value is checked shareable first). */
    private static final int MAX_DEPTH = 32;
    private static final Field[] NONE = new Field[0];
    private static final Object[] NO_PARTS = new Object[0];

    /** The non-primitive component fields of a record class, readable; empty for other classes. */
    private static final ClassValue<Field[]> RECORD_FIELDS = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> c) {
            if (!c.isRecord()) {
                return NONE;
            }
            List<Field> out = new ArrayList<>();
            try {
                for (RecordComponent rc : c.getRecordComponents()) {
                    if (!rc.getType().isPrimitive()) {
                        Field f = c.getDeclaredField(rc.getName());
                        f.setAccessible(true);
                        out.add(f);
                    }
                }
            } catch (NoSuchFieldException | InaccessibleObjectException | SecurityException e) {
                return NONE; // unreadable: shareability refused it already (ShareRules reads the same fields)
            }
            return out.toArray(NONE);
        }
    };

    private ValueSlots() {
    }

    /** {@code put}: takes the map's counted reference to a RefCounted value (ISE if it is dead). */
    static void hold(Object value) {
        if (value instanceof RefCounted) {
            ((RefCounted) value).incref();
        }
    }

    /** {@code remove} or replacement: gives the map's reference back; a Ref goes back untouched. */
    static void unhold(Object value) {
        if (value instanceof RefCounted) {
            ((RefCounted) value).decref();
        }
    }

    /** The collector, under the key's Extras lock: reports the counted references {@code value} holds. */
    static void trace(Object value, Binding.SlotVisitor v) {
        if (value instanceof RefCounted) {
            v.counted((RefCounted) value);
        } else {
            traceNested(value, v, 0);
        }
    }

    private static void traceNested(Object o, Binding.SlotVisitor v, int depth) {
        if (o instanceof Ref) {
            v.ref((Ref<?>) o);
            return;
        }
        if (o == null || depth >= MAX_DEPTH) {
            return;
        }
        for (Object part : parts(o)) {
            traceNested(part, v, depth + 1);
        }
    }

    /**
     * The objects an immutable value holds directly: a record's non-primitive components (read
     * from their fields), a JDK immutable container's elements, keys and values (read with JDK
     * code, which calls no method of a user class: no {@code equals}/{@code hashCode}); nothing
     * for any other object.
     */
    private static Object[] parts(Object o) {
        Class<?> c = o.getClass();
        Field[] fields = RECORD_FIELDS.get(c);
        if (fields.length > 0) {
            Object[] out = new Object[fields.length];
            for (int i = 0; i < fields.length; i++) {
                out[i] = read(fields[i], o);
            }
            return out;
        }
        if (!ShareRules.immutableContainer(c)) {
            return NO_PARTS;
        }
        if (o instanceof Optional) {
            return new Object[] {((Optional<?>) o).orElse(null)};
        }
        if (o instanceof Collection) {
            return ((Collection<?>) o).toArray();
        }
        if (o instanceof Map.Entry) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            return new Object[] {e.getKey(), e.getValue()};
        }
        if (o instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) o;
            Object[] out = new Object[2 * m.size()];
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out[i++] = e.getKey();
                out[i++] = e.getValue();
            }
            return out;
        }
        return NO_PARTS;
    }

    /**
     * The key died or was collected: releases what {@code value} holds (the map's reference to a
     * RefCounted value; the content of its Refs, which are emptied), skipping dead targets.
     */
    static void releaseAtDeath(Object value) {
        if (value instanceof RefCounted) {
            RefCounted x = (RefCounted) value;
            if (RefCounts.isAlive(x)) {
                x.decref();
            }
        } else {
            releaseNested(value, 0);
        }
    }

    private static void releaseNested(Object o, int depth) {
        if (o instanceof Ref) {
            RefCounts.clearForDeath((Ref<?>) o);
            return;
        }
        if (o == null || depth >= MAX_DEPTH) {
            return;
        }
        for (Object part : parts(o)) {
            releaseNested(part, depth + 1);
        }
    }

    private static Object read(Field f, Object o) {
        try {
            return f.get(o);
        } catch (IllegalAccessException e) {
            return null; // setAccessible succeeded when the class was first seen; not reached
        }
    }
}
