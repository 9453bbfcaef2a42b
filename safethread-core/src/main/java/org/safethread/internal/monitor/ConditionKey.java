package org.safethread.internal.monitor;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Which {@code Monitor.await} conditions are the same test: the same lambda class with the same
 * captured values, or the same condition object. Two such conditions, evaluated at the same
 * moment under the monitor, give the same answer (conditions are side-effect-free tests), so a
 * release evaluates each distinct condition once, however many threads wait on it.
 *
 * <p>Captured values are compared by identity, except the JDK's immutable value types (boxes,
 * {@code String}), compared with their own {@code equals}: no user method runs. A lambda whose
 * captured fields cannot be read (defined in a module closed to safethread) is its own key.
 */
final class ConditionKey {
    /** Value types whose equals/hashCode are the JDK's own: a captured int is boxed anew each time. */
    private static final Set<Class<?>> VALUE_TYPES = Set.of(Boolean.class, Byte.class, Character.class,
            Short.class, Integer.class, Long.class, Float.class, Double.class, String.class);

    /** Per lambda class: its captured fields, or null if they cannot be read. */
    private static final ClassValue<Field[]> CAPTURED = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> c) {
            if (!(c.isHidden() && c.getName().contains("$$Lambda"))) {
                return null;
            }
            List<Field> out = new ArrayList<>();
            try {
                for (Field f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers())) {
                        f.setAccessible(true);
                        out.add(f);
                    }
                }
            } catch (RuntimeException e) { // InaccessibleObjectException: a closed module
                return null;
            }
            return out.toArray(new Field[0]);
        }
    };

    private final Class<?> type;
    private final Object[] captured;
    private final int hash;

    private ConditionKey(Class<?> type, Object[] captured) {
        this.type = type;
        this.captured = captured;
        int h = type.hashCode();
        for (Object v : captured) {
            h = 31 * h + (v != null && VALUE_TYPES.contains(v.getClass()) ? v.hashCode() : System.identityHashCode(v));
        }
        this.hash = h;
    }

    /** @return the grouping key of {@code condition}: a ConditionKey, or the condition itself (identity) */
    static Object of(BooleanSupplier condition) {
        Class<?> c = condition.getClass();
        Field[] fields = CAPTURED.get(c);
        if (fields == null) {
            return new Identity(condition);
        }
        Object[] values = new Object[fields.length];
        try {
            for (int i = 0; i < fields.length; i++) {
                values[i] = fields[i].get(condition);
            }
        } catch (IllegalAccessException e) {
            return new Identity(condition);
        }
        return new ConditionKey(c, values);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConditionKey)) {
            return false;
        }
        ConditionKey k = (ConditionKey) o;
        if (k.type != type || k.hash != hash || k.captured.length != captured.length) {
            return false;
        }
        for (int i = 0; i < captured.length; i++) {
            Object a = captured[i];
            Object b = k.captured[i];
            if (a != b && !(a != null && b != null && a.getClass() == b.getClass()
                    && VALUE_TYPES.contains(a.getClass()) && a.equals(b))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return type.getName() + " capturing " + captured.length + " value(s)";
    }

    /** A condition that is its own key, compared by identity. */
    private static final class Identity {
        private final Object condition;

        Identity(Object condition) {
            this.condition = condition;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Identity && ((Identity) o).condition == condition;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(condition);
        }
    }
}
