package org.safethread.internal.monitor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Refuses a monitor class whose private state some code could reach through the monitor
 * reference: the nest-mate case of "no field access through a proxy reads a copy".
 *
 * <p>A class proxy is a subclass with its own never-initialised copy of every field. Non-private
 * fields are refused outright ({@link ProxyMethods}); a private field or private method of a class
 * {@code C} can be named only by code of {@code C}'s nest ({@code C}, the classes nested in the
 * same top-level class, and that top-level class). If such code reads {@code other.count} or calls
 * {@code other.helper()} where {@code other} is the monitor, it silently uses the proxy's copy. So
 * this check reads the bytecode of every nest member of every class of the hierarchy that has
 * private instance members, and proves for each access to them that the object accessed is not a
 * proxy: it is {@code this} (proxies never run the target's code, so {@code this} in the target's
 * code is never a proxy), or an object created with {@code new} in that method, or a value that
 * provably came from such a place (a lambda's captured value, a final field such as an inner
 * class's {@code Outer.this}). Anything else (a parameter, a non-final field, a method's result, a
 * value merged at a branch) may be the monitor, and the class is refused naming the method and
 * the member. Where the bytecode cannot be read, the class is refused too ("cannot verify").
 *
 * <h2>How the proof works</h2>
 * A small abstract interpreter over each method's instructions, two values: SAFE (this, new, null)
 * and UNKNOWN. Operand-stack slots are tracked exactly between branch targets and reset at every
 * stack map frame (every jump target and handler has one in class files of version 50 and later;
 * older class files are refused as unverifiable), where only uninitialised values stay SAFE.
 * Local variables are flow-insensitive: a slot is SAFE when every store into it, anywhere in the
 * method, stores a SAFE value (iterated to a fixed point, starting optimistic: a slot is only
 * ever read after a store). Across the nest, three kinds of facts are found to a least fixed
 * point (starting from UNKNOWN, so only what is proven becomes SAFE): the captured parameters of
 * lambda bodies (the meet over their {@code invokedynamic} sites); the parameters of the
 * constructors of closed classes — private, local or anonymous ones, whose every constructor call
 * is in the nest (the meet over those calls); and final instance fields (the meet over their
 * stores, which only constructors make). So {@code new Peek()} inside an instance method of
 * {@code Outer} gives a private inner class whose {@code Outer.this} is SAFE, while a non-private
 * inner class may be made for a monitor from outside ({@code monitor.new Peek()}) and its
 * {@code Outer.this} stays UNKNOWN. A method reference to a private instance method counts as a
 * call on its captured receiver (UNKNOWN when unbound).
 *
 * <p>Out of its reach, and documented as such: reflection and method handles that the user's
 * code creates on the monitor reference, and classes of the JDK (whose private state is not
 * the monitor class's).
 */
final class PrivateAccessCheck {
    private PrivateAccessCheck() {
    }

    private static final byte SAFE = 1;
    private static final byte UNKNOWN = 0;

    /** Checks every class of {@code type}'s hierarchy that has private instance members. */
    static void check(Class<?> type) throws ProxyMethods.Refused {
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            ClassLoader l = c.getClassLoader();
            if (l == null || l == ClassLoader.getPlatformClassLoader()) {
                continue; // a JDK class: its private state is its own, not the monitor class's
            }
            Set<String> fields = new HashSet<>();
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && Modifier.isPrivate(f.getModifiers())) {
                    fields.add(f.getName());
                }
            }
            Set<String> methods = new HashSet<>();
            for (Method m : c.getDeclaredMethods()) {
                if (!Modifier.isStatic(m.getModifiers()) && Modifier.isPrivate(m.getModifiers())) {
                    methods.add(m.getName() + Type.getMethodDescriptor(m));
                }
            }
            if (fields.isEmpty() && methods.isEmpty()) {
                continue;
            }
            Class<?>[] nest;
            try {
                nest = c.getNestMembers();
            } catch (LinkageError | SecurityException e) {
                throw new ProxyMethods.Refused("Monitor.of: cannot verify that no code reads the private state of "
                        + c.getName() + " through the monitor: its nest-mates cannot be loaded (" + e + ")");
            }
            String owner = Type.getInternalName(c);
            List<ClassCode> classes = new ArrayList<>();
            Set<String> closed = new HashSet<>();
            for (Class<?> n : nest) {
                byte[] bytes = ClassBytes.read(n);
                if (bytes == null) {
                    throw new ProxyMethods.Refused("Monitor.of: cannot verify that no code reads the private state "
                            + "of " + c.getName() + " through the monitor: the class file of " + n.getName()
                            + ", which may name its private members, cannot be read");
                }
                classes.add(ClassCode.parse(bytes, owner));
                if (n.isAnonymousClass() || n.isLocalClass() || Modifier.isPrivate(n.getModifiers())) {
                    closed.add(Type.getInternalName(n)); // every constructor call is in the nest
                }
            }
            String hit = scan(classes, owner, fields, methods, closed);
            if (hit != null) {
                throw new ProxyMethods.Refused("Monitor.of: " + hit + ": if that object is the monitor, the "
                        + "proxy's never-initialised copy is used instead of the guarded state (a proxy is a "
                        + "subclass with fields of its own). Reach the state through a @MonitorMethod, or make "
                        + "the object accessed provably not the monitor (this, or created with new in that "
                        + "method)");
            }
        }
    }

    /** A nest member's recorded code. */
    private static final class ClassCode {
        String name;
        final List<MethodCode> methods = new ArrayList<>();
        /** Its final instance fields, as "owner.name". */
        final Set<String> finals = new HashSet<>();

        static ClassCode parse(byte[] bytes, String owner) throws ProxyMethods.Refused {
            ClassCode cc = new ClassCode();
            int[] version = new int[1];
            new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public void visit(int v, int access, String name, String signature, String superName, String[] ifs) {
                    version[0] = v & 0xFFFF;
                    cc.name = name;
                }

                @Override
                public org.objectweb.asm.FieldVisitor visitField(int access, String name, String desc, String sig,
                        Object value) {
                    if ((access & (Opcodes.ACC_FINAL | Opcodes.ACC_STATIC)) == Opcodes.ACC_FINAL) {
                        cc.finals.add(cc.name + "." + name);
                    }
                    return null;
                }

                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] ex) {
                    MethodCode mc = new MethodCode(access, name, desc);
                    cc.methods.add(mc);
                    return mc;
                }
            }, ClassReader.EXPAND_FRAMES);
            if (version[0] < Opcodes.V1_6 && mentions(cc.methods, owner)) {
                throw new ProxyMethods.Refused("Monitor.of: cannot verify that " + cc.name.replace('/', '.')
                        + " does not read private state of " + owner.replace('/', '.') + " through the monitor: its "
                        + "class file predates stack map frames (version " + version[0] + ")");
            }
            return cc;
        }
    }

    /** What the interpreter learns across a nest, one round at a time. */
    private static final class Facts {
        /**
         * Parameter tags of lambda bodies and of constructors of closed classes (whose every
         * constructor call is in the nest), by "class.name+desc": the meet over the call sites.
         */
        final Map<String, byte[]> params = new HashMap<>();
        /** Tags of final instance fields of nest members, by "class.field": the meet over their stores. */
        final Map<String, Byte> finals = new HashMap<>();

        boolean sameAs(Facts o) {
            return sameTags(params, o.params) && finals.equals(o.finals);
        }
    }

    /**
     * @param closed the nest members whose constructors are only called from the nest
     * @return a description of the first unprovable access in the nest, or null
     */
    static String scan(List<ClassCode> classes, String owner, Set<String> fields, Set<String> methods,
            Set<String> closed) {
        Set<String> finals = new HashSet<>();
        for (ClassCode cc : classes) {
            finals.addAll(cc.finals);
        }
        // A least fixed point: start knowing nothing (UNKNOWN); each round proves more, never less.
        Facts known = new Facts();
        String hit = null;
        for (int round = 0; round < 64; round++) {
            Facts next = new Facts();
            hit = null;
            for (ClassCode cc : classes) {
                for (MethodCode mc : cc.methods) {
                    String h = mc.analyze(cc.name, owner, fields, methods, known, next, closed, finals);
                    if (hit == null) {
                        hit = h;
                    }
                }
            }
            if (next.sameAs(known)) {
                return hit;
            }
            known = next;
        }
        return hit; // more rounds than any nest of real code needs; what is proven so far is sound
    }

    private static boolean sameTags(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean mentions(List<MethodCode> all, String owner) {
        for (MethodCode mc : all) {
            for (Insn i : mc.code) {
                if (owner.equals(i.owner)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** One recorded instruction (only what the interpreter needs). */
    private static final class Insn {
        static final int PLAIN = 0;
        static final int INT = 1;
        static final int VAR = 2;
        static final int TYPE = 3;
        static final int FIELD = 4;
        static final int METHOD = 5;
        static final int INDY = 6;
        static final int JUMP = 7;
        static final int LDC = 8;
        static final int SWITCH = 9;
        static final int MULTI = 10;
        static final int FRAME = 11;

        int kind;
        int opcode;
        int operand; // var index or dims
        String owner;
        String name;
        String desc;
        Object[] bsmArgs;
        Object cst;
        byte[] frame;
    }

    /** A method's recorded code and its analysis. */
    private static final class MethodCode extends MethodVisitor {
        final int access;
        final String name;
        final String desc;
        final List<Insn> code = new ArrayList<>();

        MethodCode(int access, String name, String desc) {
            super(Opcodes.ASM9);
            this.access = access;
            this.name = name;
            this.desc = desc;
        }

        private Insn add(int kind, int opcode) {
            Insn i = new Insn();
            i.kind = kind;
            i.opcode = opcode;
            code.add(i);
            return i;
        }

        @Override
        public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
            // An uninitialized value (a new object before its constructor, or this in one) is
            // never a proxy; every other value merged at a branch target is unknown.
            Stack tags = new Stack();
            for (int k = 0; k < numStack; k++) {
                // ASM's frame types are Integer constants: equals (value) is what identity means here
                if (Opcodes.LONG.equals(stack[k]) || Opcodes.DOUBLE.equals(stack[k])) {
                    tags.pushWords(2);
                } else {
                    tags.push(stack[k] instanceof Label || Opcodes.UNINITIALIZED_THIS.equals(stack[k]) ? SAFE : UNKNOWN);
                }
            }
            add(Insn.FRAME, -1).frame = Arrays.copyOf(tags.words, tags.size);
        }

        @Override
        public void visitInsn(int opcode) {
            add(Insn.PLAIN, opcode);
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            add(Insn.INT, opcode);
        }

        @Override
        public void visitVarInsn(int opcode, int var) {
            add(Insn.VAR, opcode).operand = var;
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            add(Insn.TYPE, opcode);
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            Insn i = add(Insn.FIELD, opcode);
            i.owner = owner;
            i.name = name;
            i.desc = descriptor;
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean itf) {
            Insn i = add(Insn.METHOD, opcode);
            i.owner = owner;
            i.name = name;
            i.desc = descriptor;
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... bsmArgs) {
            Insn i = add(Insn.INDY, Opcodes.INVOKEDYNAMIC);
            i.name = name;
            i.desc = descriptor;
            i.bsmArgs = bsmArgs;
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            add(Insn.JUMP, opcode);
        }

        @Override
        public void visitLdcInsn(Object value) {
            add(Insn.LDC, Opcodes.LDC).cst = value;
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            add(Insn.SWITCH, Opcodes.TABLESWITCH);
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            add(Insn.SWITCH, Opcodes.LOOKUPSWITCH);
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
            add(Insn.MULTI, Opcodes.MULTIANEWARRAY).operand = numDimensions;
        }

        /**
         * Interprets the method until its local-variable tags are stable.
         *
         * @param known what lambda sites captured last round, by lambda method key
         * @param next where to record what this method's lambda sites capture
         * @return the first unprovable access, or null
         */
        String analyze(String self, String owner, Set<String> fields, Set<String> methods, Facts known,
                Facts next, Set<String> closed, Set<String> finals) {
            if (code.isEmpty()) {
                return null;
            }
            boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
            byte[] params = known.params.get(self + "." + name + desc);
            int maxLocal = 1;
            for (Insn i : code) {
                if (i.kind == Insn.VAR) {
                    maxLocal = Math.max(maxLocal, i.operand + 2);
                }
            }
            Type[] args = Type.getArgumentTypes(desc);
            int paramWords = isStatic ? 0 : 1;
            for (Type t : args) {
                paramWords += t.getSize();
            }
            byte[] locals = new byte[Math.max(maxLocal, paramWords + 1)];
            Arrays.fill(locals, SAFE); // optimistic: a slot never stored with an unknown value
            int slot = 0;
            if (!isStatic) {
                locals[slot++] = SAFE; // this: the target's code never runs on a proxy
            }
            for (int a = 0; a < args.length; a++) {
                byte tag = params != null && a < params.length ? params[a] : UNKNOWN;
                locals[slot] = tag;
                slot += args[a].getSize();
            }
            while (true) {
                Facts sites = new Facts();
                String[] hit = new String[1];
                boolean changed = interpret(self, owner, fields, methods, locals, sites, hit, known, closed, finals);
                if (!changed) {
                    for (Map.Entry<String, byte[]> e : sites.params.entrySet()) {
                        next.params.merge(e.getKey(), e.getValue(), PrivateAccessCheck::meet);
                    }
                    for (Map.Entry<String, Byte> e : sites.finals.entrySet()) {
                        next.finals.merge(e.getKey(), e.getValue(), PrivateAccessCheck::meet1);
                    }
                    return hit[0];
                }
            }
        }

        private boolean interpret(String self, String owner, Set<String> fields, Set<String> methods, byte[] locals,
                Facts sites, String[] hit, Facts known, Set<String> closed, Set<String> finals) {
            Stack s = new Stack();
            boolean changed = false;
            for (Insn i : code) {
                int op = i.opcode;
                switch (i.kind) {
                    case Insn.FRAME:
                        s.reset(i.frame);
                        break;
                    case Insn.PLAIN:
                        plain(s, op);
                        break;
                    case Insn.INT:
                        if (op == Opcodes.NEWARRAY) {
                            s.pop(1);
                        }
                        s.push(UNKNOWN);
                        break;
                    case Insn.VAR:
                        switch (op) {
                            case Opcodes.ILOAD: case Opcodes.FLOAD:
                                s.push(UNKNOWN);
                                break;
                            case Opcodes.LLOAD: case Opcodes.DLOAD:
                                s.push(UNKNOWN);
                                s.push(UNKNOWN);
                                break;
                            case Opcodes.ALOAD:
                                s.push(locals[i.operand]);
                                break;
                            case Opcodes.ISTORE: case Opcodes.FSTORE:
                                s.pop(1);
                                break;
                            case Opcodes.LSTORE: case Opcodes.DSTORE:
                                s.pop(2);
                                break;
                            case Opcodes.ASTORE: {
                                byte v = s.pop1();
                                if (v == UNKNOWN && locals[i.operand] != UNKNOWN) {
                                    locals[i.operand] = UNKNOWN;
                                    changed = true;
                                }
                                break;
                            }
                            default: // RET
                                break;
                        }
                        break;
                    case Insn.TYPE:
                        if (op == Opcodes.NEW) {
                            s.push(SAFE);
                        } else if (op == Opcodes.CHECKCAST) {
                            s.push(s.pop1());
                        } else { // ANEWARRAY, INSTANCEOF
                            s.pop(1);
                            s.push(UNKNOWN);
                        }
                        break;
                    case Insn.FIELD: {
                        int size = Type.getType(i.desc).getSize();
                        if (op == Opcodes.GETSTATIC) {
                            s.pushWords(size);
                        } else if (op == Opcodes.PUTSTATIC) {
                            s.pop(size);
                        } else {
                            String field = i.owner + "." + i.name;
                            if (op == Opcodes.PUTFIELD) {
                                byte value = s.pop1();
                                s.pop(size - 1);
                                if (finals.contains(field)) {
                                    // A final field is stored only by its class's constructors.
                                    sites.finals.merge(field, size == 1 ? value : UNKNOWN, PrivateAccessCheck::meet1);
                                }
                            }
                            byte receiver = s.pop1();
                            if (receiver == UNKNOWN && hit[0] == null && owner.equals(i.owner)
                                    && fields.contains(i.name)) {
                                hit[0] = where(self) + (op == Opcodes.GETFIELD ? " reads" : " writes")
                                        + " private field " + simple(owner) + "." + i.name + " of an object that "
                                        + "may be the monitor (it is neither this nor created with new there)";
                            }
                            if (op == Opcodes.GETFIELD) {
                                if (size == 1) {
                                    Byte known1 = known.finals.get(field);
                                    s.push(known1 != null ? known1 : UNKNOWN);
                                } else {
                                    s.pushWords(size);
                                }
                            }
                        }
                        break;
                    }
                    case Insn.METHOD: {
                        byte[] argTags = popArgs(s, Type.getArgumentTypes(i.desc));
                        if (op == Opcodes.INVOKESPECIAL && i.name.equals("<init>") && closed.contains(i.owner)) {
                            sites.params.merge(i.owner + ".<init>" + i.desc, argTags, PrivateAccessCheck::meet);
                        }
                        if (op != Opcodes.INVOKESTATIC) {
                            byte receiver = s.pop1();
                            if (receiver == UNKNOWN && hit[0] == null && owner.equals(i.owner)
                                    && methods.contains(i.name + i.desc)) {
                                hit[0] = where(self) + " calls private method " + simple(owner) + "." + i.name
                                        + "(...) on an object that may be the monitor (it is neither this nor "
                                        + "created with new there), which would run it on the proxy's state";
                            }
                        }
                        s.pushWords(Type.getReturnType(i.desc).getSize());
                        break;
                    }
                    case Insn.INDY: {
                        byte[] tags = popArgs(s, Type.getArgumentTypes(i.desc));
                        for (Object a : i.bsmArgs) {
                            if (!(a instanceof Handle)) {
                                continue;
                            }
                            Handle h = (Handle) a;
                            boolean instance = h.getTag() == Opcodes.H_INVOKEVIRTUAL
                                    || h.getTag() == Opcodes.H_INVOKESPECIAL || h.getTag() == Opcodes.H_INVOKEINTERFACE;
                            if (owner.equals(h.getOwner()) && instance && methods.contains(h.getName() + h.getDesc())
                                    && (tags.length == 0 || tags[0] == UNKNOWN) && hit[0] == null) {
                                hit[0] = where(self) + " makes a method reference to private method " + simple(owner)
                                        + "." + h.getName() + "(...) on an object that may be the monitor, which "
                                        + "would run it on the proxy's state";
                            }
                            if (self.equals(h.getOwner()) && h.getName().startsWith("lambda$")) {
                                // Captured values become the lambda body's leading parameters.
                                int skip = h.getTag() == Opcodes.H_INVOKESTATIC ? 0 : 1;
                                byte[] p = new byte[Math.max(0, tags.length - skip)];
                                System.arraycopy(tags, skip, p, 0, p.length);
                                sites.params.merge(self + "." + h.getName() + h.getDesc(), p, PrivateAccessCheck::meet);
                            }
                        }
                        s.pushWords(Type.getReturnType(i.desc).getSize());
                        break;
                    }
                    case Insn.JUMP:
                        switch (op) {
                            case Opcodes.GOTO:
                                s.dead();
                                break;
                            case Opcodes.JSR:
                                s.push(UNKNOWN);
                                break;
                            case Opcodes.IF_ICMPEQ: case Opcodes.IF_ICMPNE: case Opcodes.IF_ICMPLT:
                            case Opcodes.IF_ICMPGE: case Opcodes.IF_ICMPGT: case Opcodes.IF_ICMPLE:
                            case Opcodes.IF_ACMPEQ: case Opcodes.IF_ACMPNE:
                                s.pop(2);
                                break;
                            default:
                                s.pop(1);
                                break;
                        }
                        break;
                    case Insn.LDC:
                        s.pushWords(i.cst instanceof Long || i.cst instanceof Double ? 2 : 1);
                        break;
                    case Insn.SWITCH:
                        s.pop(1);
                        s.dead();
                        break;
                    case Insn.MULTI:
                        s.pop(i.operand);
                        s.push(UNKNOWN);
                        break;
                    default:
                        throw new AssertionError(i.kind);
                }
            }
            return changed;
        }

        private String where(String self) {
            String n = name;
            if (name.equals("<init>")) {
                n = "<init> (a constructor)";
            } else if (name.startsWith("lambda$") && name.indexOf('$', 7) > 7) {
                n = name.substring(7, name.indexOf('$', 7)) + " (in a lambda)";
            }
            return simple(self) + "." + n;
        }
    }

    private static String simple(String internalName) {
        String n = internalName.substring(internalName.lastIndexOf('/') + 1);
        return n;
    }

    private static byte[] meet(byte[] a, byte[] b) {
        byte[] out = new byte[Math.max(a.length, b.length)];
        for (int k = 0; k < out.length; k++) {
            byte x = k < a.length ? a[k] : UNKNOWN;
            byte y = k < b.length ? b[k] : UNKNOWN;
            out[k] = x == SAFE && y == SAFE ? SAFE : UNKNOWN;
        }
        return out;
    }

    /** Pops a call's arguments; @return their tags, first argument first */
    private static byte[] popArgs(Stack s, Type[] types) {
        byte[] tags = new byte[types.length];
        for (int k = types.length - 1; k >= 0; k--) {
            if (types[k].getSize() == 2) {
                s.pop(1);
            }
            tags[k] = s.pop1();
        }
        return tags;
    }

    private static Byte meet1(Byte a, Byte b) {
        return a == SAFE && b == SAFE ? SAFE : UNKNOWN;
    }

    /** The effect of a zero-operand instruction, in stack words. */
    private static void plain(Stack s, int op) {
        switch (op) {
            case Opcodes.NOP:
                break;
            case Opcodes.ACONST_NULL:
                s.push(SAFE);
                break;
            case Opcodes.ICONST_M1: case Opcodes.ICONST_0: case Opcodes.ICONST_1: case Opcodes.ICONST_2:
            case Opcodes.ICONST_3: case Opcodes.ICONST_4: case Opcodes.ICONST_5: case Opcodes.FCONST_0:
            case Opcodes.FCONST_1: case Opcodes.FCONST_2:
                s.push(UNKNOWN);
                break;
            case Opcodes.LCONST_0: case Opcodes.LCONST_1: case Opcodes.DCONST_0: case Opcodes.DCONST_1:
                s.pushWords(2);
                break;
            case Opcodes.IALOAD: case Opcodes.FALOAD: case Opcodes.AALOAD: case Opcodes.BALOAD:
            case Opcodes.CALOAD: case Opcodes.SALOAD:
                s.pop(2);
                s.push(UNKNOWN);
                break;
            case Opcodes.LALOAD: case Opcodes.DALOAD:
                s.pop(2);
                s.pushWords(2);
                break;
            case Opcodes.IASTORE: case Opcodes.FASTORE: case Opcodes.AASTORE: case Opcodes.BASTORE:
            case Opcodes.CASTORE: case Opcodes.SASTORE:
                s.pop(3);
                break;
            case Opcodes.LASTORE: case Opcodes.DASTORE:
                s.pop(4);
                break;
            case Opcodes.POP:
                s.pop(1);
                break;
            case Opcodes.POP2:
                s.pop(2);
                break;
            case Opcodes.DUP: {
                byte a = s.pop1();
                s.push(a);
                s.push(a);
                break;
            }
            case Opcodes.DUP_X1: {
                byte a = s.pop1();
                byte b = s.pop1();
                s.push(a);
                s.push(b);
                s.push(a);
                break;
            }
            case Opcodes.DUP_X2: {
                byte a = s.pop1();
                byte b = s.pop1();
                byte c = s.pop1();
                s.push(a);
                s.push(c);
                s.push(b);
                s.push(a);
                break;
            }
            case Opcodes.DUP2: {
                byte a = s.pop1();
                byte b = s.pop1();
                s.push(b);
                s.push(a);
                s.push(b);
                s.push(a);
                break;
            }
            case Opcodes.DUP2_X1: {
                byte a = s.pop1();
                byte b = s.pop1();
                byte c = s.pop1();
                s.push(b);
                s.push(a);
                s.push(c);
                s.push(b);
                s.push(a);
                break;
            }
            case Opcodes.DUP2_X2: {
                byte a = s.pop1();
                byte b = s.pop1();
                byte c = s.pop1();
                byte d = s.pop1();
                s.push(b);
                s.push(a);
                s.push(d);
                s.push(c);
                s.push(b);
                s.push(a);
                break;
            }
            case Opcodes.SWAP: {
                byte a = s.pop1();
                byte b = s.pop1();
                s.push(a);
                s.push(b);
                break;
            }
            case Opcodes.IADD: case Opcodes.FADD: case Opcodes.ISUB: case Opcodes.FSUB: case Opcodes.IMUL:
            case Opcodes.FMUL: case Opcodes.IDIV: case Opcodes.FDIV: case Opcodes.IREM: case Opcodes.FREM:
            case Opcodes.ISHL: case Opcodes.ISHR: case Opcodes.IUSHR: case Opcodes.IAND: case Opcodes.IOR:
            case Opcodes.IXOR: case Opcodes.FCMPL: case Opcodes.FCMPG:
                s.pop(2);
                s.push(UNKNOWN);
                break;
            case Opcodes.LADD: case Opcodes.DADD: case Opcodes.LSUB: case Opcodes.DSUB: case Opcodes.LMUL:
            case Opcodes.DMUL: case Opcodes.LDIV: case Opcodes.DDIV: case Opcodes.LREM: case Opcodes.DREM:
            case Opcodes.LAND: case Opcodes.LOR: case Opcodes.LXOR:
                s.pop(4);
                s.pushWords(2);
                break;
            case Opcodes.LSHL: case Opcodes.LSHR: case Opcodes.LUSHR:
                s.pop(3);
                s.pushWords(2);
                break;
            case Opcodes.INEG: case Opcodes.FNEG: case Opcodes.I2F: case Opcodes.F2I: case Opcodes.I2B:
            case Opcodes.I2C: case Opcodes.I2S: case Opcodes.ARRAYLENGTH:
                s.pop(1);
                s.push(UNKNOWN);
                break;
            case Opcodes.LNEG: case Opcodes.DNEG: case Opcodes.L2D: case Opcodes.D2L:
                s.pop(2);
                s.pushWords(2);
                break;
            case Opcodes.I2L: case Opcodes.I2D: case Opcodes.F2L: case Opcodes.F2D:
                s.pop(1);
                s.pushWords(2);
                break;
            case Opcodes.L2I: case Opcodes.L2F: case Opcodes.D2I: case Opcodes.D2F:
                s.pop(2);
                s.push(UNKNOWN);
                break;
            case Opcodes.LCMP: case Opcodes.DCMPL: case Opcodes.DCMPG:
                s.pop(4);
                s.push(UNKNOWN);
                break;
            case Opcodes.IRETURN: case Opcodes.FRETURN: case Opcodes.ARETURN: case Opcodes.LRETURN:
            case Opcodes.DRETURN: case Opcodes.RETURN: case Opcodes.ATHROW:
                s.dead();
                break;
            case Opcodes.MONITORENTER: case Opcodes.MONITOREXIT:
                s.pop(1);
                break;
            default:
                throw new IllegalStateException("unexpected opcode " + op);
        }
    }

    /** The operand stack, one tag per word. Pops below the bottom read UNKNOWN (dead code). */
    private static final class Stack {
        private byte[] words = new byte[16];
        private int size;

        void push(byte v) {
            if (size == words.length) {
                words = Arrays.copyOf(words, size * 2);
            }
            words[size++] = v;
        }

        void pushWords(int n) {
            for (int k = 0; k < n; k++) {
                push(UNKNOWN);
            }
        }

        byte pop1() {
            return size == 0 ? UNKNOWN : words[--size];
        }

        void pop(int n) {
            size = Math.max(0, size - n);
        }

        void reset(byte[] frame) {
            size = 0;
            for (byte b : frame) {
                push(b);
            }
        }

        void dead() {
            size = 0;
        }
    }
}
