package org.safethread.internal.collector;

import java.util.Arrays;

/**
 * An open-addressing map from object identity to a dense index, for the collector's snapshot.
 * Uses {@link System#identityHashCode} and {@code ==} only, never {@code equals}/{@code hashCode}
 * of user classes. Single-threaded (the collector).
 */
final class IdentityIndex {
    private Object[] keys;
    private int[] values;
    private int size;
    private int mask;

    IdentityIndex(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new Object[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int hash(Object o) {
        int h = System.identityHashCode(o);
        return h ^ (h >>> 16) ^ (h >>> 7);
    }

    /** @return the index of {@code o}, or -1 */
    int get(Object o) {
        int i = hash(o) & mask;
        for (;;) {
            Object k = keys[i];
            if (k == o) {
                return values[i];
            }
            if (k == null) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Maps {@code o} (absent) to {@code value}. */
    void put(Object o, int value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = hash(o) & mask;
        while (keys[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = o;
        values[i] = value;
        size++;
    }

    private void grow() {
        Object[] oldKeys = keys;
        int[] oldValues = values;
        keys = new Object[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            Object k = oldKeys[j];
            if (k != null) {
                int i = hash(k) & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = k;
                values[i] = oldValues[j];
            }
        }
        Arrays.fill(oldKeys, null);
    }
}
