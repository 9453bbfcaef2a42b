package org.safethread.internal.weak;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.internal.refcount.Binding;
import org.safethread.internal.refcount.RefCounts;

/**
 * What a weak-keyed map's value holds, as counted references, and so what the collector traces
 * as slots of the entry's key and what the key's death releases:
 * <ul>
 *   <li>a {@link RefCounted} value: the map's own counted reference to it (taken by {@code put},
 *       given back by {@code remove} and replacement, released at the key's death);</li>
 *   <li>a {@link Ref} value: the reference the Ref holds. The map holds the Ref like a
 *       {@code Ref} field of the key: at the key's death it is cleared (what it held is
 *       released); {@code remove} and replacement hand it back to the caller untouched;</li>
 *   <li>a record: the {@code Ref}s among its components, and those of records nested in it, held
 *       as above. A {@code RefCounted} component of a record is a borrowed (uncounted)
 *       reference: the map does not count or trace it (put it in a {@code Ref} to have it
 *       counted);</li>
 *   <li>anything else holds no counted reference.</li>
 * </ul>
 * A {@code Ref} reached twice in one collection (the same Ref also a field of some object, or in
 * two entries) is traced once ({@code RefCounts.markRef}), since it holds one reference.
 *
 * <p>Reading values never calls user code: record components are read from their fields by
 * reflection, as {@code ShareRules} does.
 */
final class ValueSlots {
    /** Records nested deeper than this are not followed (a value is checked shareable first). */
    private static final int MAX_DEPTH = 32;
    private static final Field[] NONE = new Field[0];

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
        for (Field f : RECORD_FIELDS.get(o.getClass())) {
            traceNested(read(f, o), v, depth + 1);
        }
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
        for (Field f : RECORD_FIELDS.get(o.getClass())) {
            releaseNested(read(f, o), depth + 1);
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
