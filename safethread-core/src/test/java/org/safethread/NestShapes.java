package org.safethread;

import java.util.function.IntSupplier;

/**
 * Nest-mate shapes for {@link MonitorWallShapesTest}: each top-level class below is a nest of its
 * own, so one that reaches a monitor class's private state through a reference that may be the
 * monitor makes {@link Monitor#of} refuse only its own nested monitor class.
 */
final class NestShapes {
    private NestShapes() {
    }
}

/** The enclosing class reads the nested monitor's private field through a parameter. */
final class EnclosingReads {
    static class Pool {
        private int size = 8;

        @MonitorMethod
        public int size() {
            return size;
        }
    }

    static int peek(Pool p) {
        return p.size; // if p is the monitor: the proxy's copy, 0
    }
}

/** The enclosing class writes the private field through a parameter. */
final class EnclosingWrites {
    static class Pool {
        private int counter;

        @MonitorMethod
        public int counter() {
            return counter;
        }
    }

    static void set(Pool p, int v) {
        p.counter = v; // if p is the monitor: lost
    }
}

/** The monitor class reaches another instance's private field (a monitor passed in). */
final class SiblingReads {
    static class Account {
        private long balance = 10;

        @MonitorMethod
        public void takeAll(Account other) {
            balance += other.balance;
            other.balance = 0;
        }

        @MonitorMethod
        public long balance() {
            return balance;
        }
    }
}

/** A private method called through a parameter would run on the proxy. */
final class PrivateMethodThroughParameter {
    static class Room {
        private int touches;

        private void touch() {
            touches++;
        }

        @MonitorMethod
        public int touches() {
            return touches;
        }
    }

    static void touch(Room r) {
        r.touch();
    }
}

/** A lambda reading the private field of a captured monitor. */
final class LambdaCapturesMonitor {
    static class Gauge {
        private int value = 3;

        @MonitorMethod
        public int value() {
            return value;
        }
    }

    static IntSupplier reader() {
        Gauge g = Monitor.of(new Gauge());
        return () -> g.value;
    }
}

/** A method reference to a private method, bound to the monitor. */
final class MethodReferenceToPrivate {
    static class Lamp {
        private boolean on;

        private boolean flip() {
            on = !on;
            return on;
        }

        @MonitorMethod
        public boolean on() {
            return on;
        }
    }

    static java.util.function.BooleanSupplier flipper(Lamp l) {
        return l::flip;
    }
}

/** Private state reached only on this, on new objects, and through a lambda capturing this or a new object. */
final class ProvablySafe {
    static class Counter {
        private int n;
        private final int step;

        Counter(int step) {
            this.step = step;
        }

        @MonitorMethod
        public int tick() {
            IntSupplier next = () -> n + step; // captures this
            n = next.getAsInt();
            return n;
        }

        @MonitorMethod
        public Counter copy() {
            Counter c = new Counter(step);
            c.n = n; // a new object: never a proxy
            return Monitor.of(c);
        }
    }

    static int fresh() {
        Counter c = new Counter(2);
        c.n = 40; // a new object, before it is wrapped
        IntSupplier s = () -> c.n; // captures the new object
        Counter m = Monitor.of(c);
        return m.tick() + s.getAsInt() * 0;
    }
}

/** An inner class reads the outer object's private field through Outer.this (the synthetic this$0). */
final class InnerReadsOuter {
    static class Outer {
        private int n = 5;

        @MonitorMethod
        public int n() {
            return n;
        }

        class Peek {
            int peek() {
                return n; // Outer.this.n: Outer.this is whatever object the Peek was made for
            }
        }
    }
}

/** A private inner class made for a parameter (maybe the monitor) reads the outer's private field. */
final class PrivateInnerMadeForAParameter {
    static class Outer {
        private int n = 5;

        @MonitorMethod
        public int n() {
            return n;
        }

        private class Peek {
            int peek() {
                return n;
            }
        }

        static int peekAt(Outer o) {
            return o.new Peek().peek();
        }
    }
}

/**
 * Private inner, anonymous and local classes made only for this (or for a new object) reach the
 * outer object's private state through Outer.this or a captured value: accepted.
 */
final class ClosedClassesOnThis {
    static class Outer {
        private int n = 5;

        @MonitorMethod
        public int viaInner() {
            return new Peek().peek();
        }

        @MonitorMethod
        public int viaAnonymous() {
            IntSupplier s = new IntSupplier() {
                @Override
                public int getAsInt() {
                    return n + 1;
                }
            };
            return s.getAsInt();
        }

        @MonitorMethod
        public int viaLocalOnANewObject() {
            Outer fresh = new Outer();
            fresh.n = 40;
            class Reader {
                int read() {
                    return fresh.n + n;
                }
            }
            return new Reader().read();
        }

        private class Peek {
            int peek() {
                return n;
            }
        }
    }
}
