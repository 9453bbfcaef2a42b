package org.safethread.internal.monitor;

import static org.objectweb.asm.Opcodes.ACC_FINAL;
import static org.objectweb.asm.Opcodes.ACC_PRIVATE;
import static org.objectweb.asm.Opcodes.ACC_PROTECTED;
import static org.objectweb.asm.Opcodes.ACC_PUBLIC;
import static org.objectweb.asm.Opcodes.ACC_SUPER;
import static org.objectweb.asm.Opcodes.ACC_SYNTHETIC;
import static org.objectweb.asm.Opcodes.ACC_VARARGS;
import static org.objectweb.asm.Opcodes.ACONST_NULL;
import static org.objectweb.asm.Opcodes.ALOAD;
import static org.objectweb.asm.Opcodes.ARETURN;
import static org.objectweb.asm.Opcodes.ASTORE;
import static org.objectweb.asm.Opcodes.ATHROW;
import static org.objectweb.asm.Opcodes.BIPUSH;
import static org.objectweb.asm.Opcodes.CHECKCAST;
import static org.objectweb.asm.Opcodes.DUP;
import static org.objectweb.asm.Opcodes.GETFIELD;
import static org.objectweb.asm.Opcodes.ICONST_0;
import static org.objectweb.asm.Opcodes.ICONST_1;
import static org.objectweb.asm.Opcodes.IF_ACMPNE;
import static org.objectweb.asm.Opcodes.ILOAD;
import static org.objectweb.asm.Opcodes.INVOKEINTERFACE;
import static org.objectweb.asm.Opcodes.INVOKESPECIAL;
import static org.objectweb.asm.Opcodes.INVOKESTATIC;
import static org.objectweb.asm.Opcodes.INVOKEVIRTUAL;
import static org.objectweb.asm.Opcodes.IRETURN;
import static org.objectweb.asm.Opcodes.ISTORE;
import static org.objectweb.asm.Opcodes.POP;
import static org.objectweb.asm.Opcodes.PUTFIELD;
import static org.objectweb.asm.Opcodes.RETURN;
import static org.objectweb.asm.Opcodes.SIPUSH;
import static org.objectweb.asm.Opcodes.V17;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import org.safethread.internal.share.ShareRules;

/**
 * Writes the bytecode of monitor proxy classes with ASM; {@link ProxyMethods} chose the methods,
 * {@link ProxyFactory} defines the classes.
 *
 * <h2>What a guarded method is</h2>
 * <pre>
 *   R m(A a, int i) {
 *       a = (A) ProxySupport.checkArgument(a, A.class, "Account.m", 1); // only reference args that need it
 *       Object token = ProxySupport.enter(this.$lock);
 *       R r;
 *       try {
 *           r = this.$target.m(a, i);                             // invokevirtual / invokeinterface
 *           r = (R) ProxySupport.checkResult(r, this.$target, this, R.class, "Account.m"); // reference R only
 *       } catch (Throwable t) {
 *           ProxySupport.exitThrowing(this.$lock, token, t);      // a branch left open: suppressed by t
 *           throw t;
 *       }
 *       ProxySupport.exit(this.$lock, token);
 *       return r;
 *   }
 * </pre>
 * No reflection and no boxing per call: the proxy is a real subclass (or implementation) whose
 * methods the JIT inlines like hand-written code. Arguments whose declared type is a final class
 * that is always shareable ({@code String}, boxes, enums, …) are not checked at run time. The
 * checks return the value to use: the monitor itself in place of a target that a monitor method
 * returns or passes out ({@code return this;}), see {@link ProxySupport#checkResult}. Where a
 * parameter or return type is not accessible from the proxy's package it cannot be named in the
 * proxy's code; the check is then made without a type, and a target there is refused instead.
 *
 * <p>A refusing method throws {@link ProxySupport#notMonitorMethod}; {@code finalize()} is empty
 * (so the JVM never registers a proxy for finalization: HotSpot treats an empty
 * {@code finalize} as none); {@code clone()} throws {@link CloneNotSupportedException}.
 * {@code equals}/{@code hashCode} are the proxy's identity and {@code toString} the monitor's name.
 */
final class ProxyWriter {
    static final String TARGET_FIELD = "$target";
    static final String LOCK_FIELD = "$lock";
    private static final String SUPPORT = Type.getInternalName(ProxySupport.class);
    private static final String LOCK_DESC = Type.getDescriptor(MonitorLock.class);
    private static final String MARKER = Type.getInternalName(MonitorProxy.class);
    private static final String CHECK_ARG = "(Ljava/lang/Object;Ljava/lang/Class;Ljava/lang/String;I)Ljava/lang/Object;";
    private static final String CHECK_RESULT = "(Ljava/lang/Object;Ljava/lang/Object;Ljava/lang/Object;"
            + "Ljava/lang/Class;Ljava/lang/String;)Ljava/lang/Object;";

    private ProxyWriter() {
    }

    /** @return the class file of a class proxy of {@code type} named {@code proxyName} */
    static byte[] classProxy(Class<?> type, String proxyName, List<ProxyMethods.Entry> entries, String display) {
        String self = proxyName.replace('.', '/');
        String superName = Type.getInternalName(type);
        String targetDesc = Type.getDescriptor(type);
        ClassWriter cw = writer();
        cw.visit(V17, ACC_PUBLIC | ACC_FINAL | ACC_SUPER | ACC_SYNTHETIC, self, null, superName, new String[] {MARKER});
        cw.visitField(ACC_PRIVATE | ACC_FINAL, TARGET_FIELD, targetDesc, null, null).visitEnd();
        cw.visitField(ACC_PRIVATE | ACC_FINAL, LOCK_FIELD, LOCK_DESC, null, null).visitEnd();
        for (ProxyMethods.Entry e : entries) {
            Method m = e.method;
            switch (e.kind) {
                case GUARDED:
                    guarded(cw, self, targetDesc, superName, false, m, display + "." + e.shown, type);
                    break;
                case REFUSING:
                    refusing(cw, m, display + "." + e.shown);
                    break;
                case EMPTY_FINALIZE:
                    emptyFinalize(cw, m);
                    break;
                case NO_CLONE:
                    noClone(cw, display);
                    break;
                default:
                    throw new AssertionError(e.kind);
            }
        }
        identityMethods(cw, self, targetDesc);
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * @param host the class in whose package the proxy is defined (for what its code may name)
     * @return the class file of an interface proxy of {@code iface} named {@code proxyName}
     */
    static byte[] interfaceProxy(Class<?> iface, String proxyName, List<Method> methods, String display,
            Class<?> host) {
        String self = proxyName.replace('.', '/');
        String ifaceName = Type.getInternalName(iface);
        String targetDesc = Type.getDescriptor(iface);
        ClassWriter cw = writer();
        cw.visit(V17, ACC_PUBLIC | ACC_FINAL | ACC_SUPER | ACC_SYNTHETIC, self, null, "java/lang/Object",
                new String[] {ifaceName, MARKER});
        cw.visitField(ACC_PRIVATE | ACC_FINAL, TARGET_FIELD, targetDesc, null, null).visitEnd();
        cw.visitField(ACC_PRIVATE | ACC_FINAL, LOCK_FIELD, LOCK_DESC, null, null).visitEnd();
        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "(" + targetDesc + LOCK_DESC + ")V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        // The lock learns its proxy before the constructor ends, so the final-field freeze covers it.
        init.visitVarInsn(ALOAD, 2);
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESTATIC, SUPPORT, "bind", "(" + LOCK_DESC + "Ljava/lang/Object;)V", false);
        init.visitVarInsn(ALOAD, 0);
        init.visitVarInsn(ALOAD, 1);
        init.visitFieldInsn(PUTFIELD, self, TARGET_FIELD, targetDesc);
        init.visitVarInsn(ALOAD, 0);
        init.visitVarInsn(ALOAD, 2);
        init.visitFieldInsn(PUTFIELD, self, LOCK_FIELD, LOCK_DESC);
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        for (Method m : methods) {
            guarded(cw, self, targetDesc, ifaceName, true, m, display + "." + m.getName(), host);
        }
        identityMethods(cw, self, targetDesc);
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static ClassWriter writer() {
        return new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return "java/lang/Object"; // our frames never merge two distinct reference types that matter
            }
        };
    }

    private static void guarded(ClassWriter cw, String self, String targetDesc, String targetOwner, boolean viaInterface,
            Method m, String display, Class<?> host) {
        String desc = Type.getMethodDescriptor(m);
        MethodVisitor mv = cw.visitMethod(accessOf(m), m.getName(), desc, null, exceptions(m));
        mv.visitCode();
        Class<?>[] params = m.getParameterTypes();
        int slot = 1;
        for (int i = 0; i < params.length; i++) {
            if (!ShareRules.staticallyShareable(params[i])) {
                boolean nameable = nameable(params[i], host);
                mv.visitVarInsn(ALOAD, slot);
                pushClass(mv, nameable ? params[i] : null);
                mv.visitLdcInsn(display);
                pushInt(mv, i + 1);
                mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "checkArgument", CHECK_ARG, false);
                if (nameable) {
                    if (params[i] != Object.class) {
                        mv.visitTypeInsn(CHECKCAST, Type.getInternalName(params[i]));
                    }
                    mv.visitVarInsn(ASTORE, slot);
                } else {
                    mv.visitInsn(POP); // checked only: a target here is refused, not replaced
                }
            }
            slot += Type.getType(params[i]).getSize();
        }
        int tokenSlot = slot;
        Type ret = Type.getType(m.getReturnType());
        int resultSlot = tokenSlot + 1;
        int excSlot = resultSlot + Math.max(ret.getSize(), 1);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "enter", "(" + LOCK_DESC + ")Ljava/lang/Object;", false);
        mv.visitVarInsn(ASTORE, tokenSlot);
        Label start = new Label();
        Label end = new Label();
        Label handler = new Label();
        mv.visitTryCatchBlock(start, end, handler, null);
        mv.visitLabel(start);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, self, TARGET_FIELD, targetDesc);
        slot = 1;
        for (Class<?> p : params) {
            Type t = Type.getType(p);
            mv.visitVarInsn(t.getOpcode(ILOAD), slot);
            slot += t.getSize();
        }
        if (viaInterface) {
            mv.visitMethodInsn(INVOKEINTERFACE, targetOwner, m.getName(), desc, true);
        } else {
            mv.visitMethodInsn(INVOKEVIRTUAL, targetOwner, m.getName(), desc, false);
        }
        if ((ret.getSort() == Type.OBJECT || ret.getSort() == Type.ARRAY)
                && !ShareRules.staticallyShareable(m.getReturnType())) {
            Class<?> rt = m.getReturnType();
            boolean nameable = nameable(rt, host);
            if (!nameable) {
                mv.visitInsn(DUP); // the result stays as it is; checkResult refuses a target without a type
            }
            mv.visitVarInsn(ALOAD, 0);
            mv.visitFieldInsn(GETFIELD, self, TARGET_FIELD, targetDesc);
            mv.visitVarInsn(ALOAD, 0);
            pushClass(mv, nameable ? rt : null);
            mv.visitLdcInsn(display);
            mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "checkResult", CHECK_RESULT, false);
            if (!nameable) {
                mv.visitInsn(POP);
            } else if (rt != Object.class) {
                mv.visitTypeInsn(CHECKCAST, Type.getInternalName(rt));
            }
        }
        if (ret.getSort() != Type.VOID) {
            mv.visitVarInsn(ret.getOpcode(ISTORE), resultSlot);
        }
        mv.visitLabel(end);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        mv.visitVarInsn(ALOAD, tokenSlot);
        mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "exit", "(" + LOCK_DESC + "Ljava/lang/Object;)V", false);
        if (ret.getSort() == Type.VOID) {
            mv.visitInsn(RETURN);
        } else {
            mv.visitVarInsn(ret.getOpcode(ILOAD), resultSlot);
            mv.visitInsn(ret.getOpcode(IRETURN));
        }
        mv.visitLabel(handler);
        mv.visitVarInsn(ASTORE, excSlot);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        mv.visitVarInsn(ALOAD, tokenSlot);
        mv.visitVarInsn(ALOAD, excSlot);
        mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "exitThrowing",
                "(" + LOCK_DESC + "Ljava/lang/Object;Ljava/lang/Throwable;)V", false);
        mv.visitVarInsn(ALOAD, excSlot);
        mv.visitInsn(ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * Whether the proxy's code may name {@code c} (a class constant, a cast): primitive, in the
     * proxy's runtime package, or public in a package exported to the proxy's module.
     */
    static boolean nameable(Class<?> c, Class<?> host) {
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (c.isPrimitive()) {
            return true;
        }
        if (c.getPackageName().equals(host.getPackageName()) && c.getClassLoader() == host.getClassLoader()) {
            return true; // the JVM sees nested private classes as package access
        }
        for (Class<?> o = c; o != null; o = o.getDeclaringClass()) {
            if (!Modifier.isPublic(o.getModifiers())) {
                return false;
            }
        }
        Module m = c.getModule();
        Module ours = host.getModule();
        return !m.isNamed() || m.isExported(c.getPackageName(), ours) && ours.canRead(m);
    }

    private static void pushClass(MethodVisitor mv, Class<?> c) {
        if (c == null) {
            mv.visitInsn(ACONST_NULL);
        } else {
            mv.visitLdcInsn(Type.getType(c));
        }
    }

    private static void refusing(ClassWriter cw, Method m, String display) {
        MethodVisitor mv = cw.visitMethod(accessOf(m), m.getName(), Type.getMethodDescriptor(m), null, exceptions(m));
        mv.visitCode();
        mv.visitLdcInsn(display);
        mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "notMonitorMethod",
                "(Ljava/lang/String;)Ljava/lang/IllegalStateException;", false);
        mv.visitInsn(ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** Exactly {@code return;}: HotSpot then registers no proxy for finalization. */
    private static void emptyFinalize(ClassWriter cw, Method overridden) {
        MethodVisitor mv = cw.visitMethod(accessOf(overridden) | ACC_FINAL, "finalize", "()V", null, null);
        mv.visitCode();
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private static void noClone(ClassWriter cw, String display) {
        MethodVisitor mv = cw.visitMethod(ACC_PROTECTED | ACC_FINAL, "clone", "()Ljava/lang/Object;", null,
                new String[] {"java/lang/CloneNotSupportedException"});
        mv.visitCode();
        mv.visitTypeInsn(org.objectweb.asm.Opcodes.NEW, "java/lang/CloneNotSupportedException");
        mv.visitInsn(DUP);
        mv.visitLdcInsn("a monitor (" + display + ") cannot be cloned: its clone would be a second name for the same "
                + "guarded object");
        mv.visitMethodInsn(INVOKESPECIAL, "java/lang/CloneNotSupportedException", "<init>", "(Ljava/lang/String;)V",
                false);
        mv.visitInsn(ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private static void identityMethods(ClassWriter cw, String self, String targetDesc) {
        MethodVisitor eq = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "equals", "(Ljava/lang/Object;)Z", null, null);
        eq.visitCode();
        Label no = new Label();
        eq.visitVarInsn(ALOAD, 0);
        eq.visitVarInsn(ALOAD, 1);
        eq.visitJumpInsn(IF_ACMPNE, no);
        eq.visitInsn(ICONST_1);
        eq.visitInsn(IRETURN);
        eq.visitLabel(no);
        eq.visitInsn(ICONST_0);
        eq.visitInsn(IRETURN);
        eq.visitMaxs(0, 0);
        eq.visitEnd();

        MethodVisitor hc = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "hashCode", "()I", null, null);
        hc.visitCode();
        hc.visitVarInsn(ALOAD, 0);
        hc.visitMethodInsn(INVOKESTATIC, "java/lang/System", "identityHashCode", "(Ljava/lang/Object;)I", false);
        hc.visitInsn(IRETURN);
        hc.visitMaxs(0, 0);
        hc.visitEnd();

        MethodVisitor ts = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "toString", "()Ljava/lang/String;", null, null);
        ts.visitCode();
        ts.visitVarInsn(ALOAD, 0);
        ts.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        ts.visitMethodInsn(INVOKESTATIC, SUPPORT, "name", "(" + LOCK_DESC + ")Ljava/lang/String;", false);
        ts.visitInsn(ARETURN);
        ts.visitMaxs(0, 0);
        ts.visitEnd();

        MethodVisitor gl = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "__safethread_lock", "()" + LOCK_DESC, null, null);
        gl.visitCode();
        gl.visitVarInsn(ALOAD, 0);
        gl.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        gl.visitInsn(ARETURN);
        gl.visitMaxs(0, 0);
        gl.visitEnd();

        MethodVisitor gt = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "__safethread_target", "()Ljava/lang/Object;", null, null);
        gt.visitCode();
        gt.visitVarInsn(ALOAD, 0);
        gt.visitFieldInsn(GETFIELD, self, TARGET_FIELD, targetDesc);
        gt.visitInsn(ARETURN);
        gt.visitMaxs(0, 0);
        gt.visitEnd();
    }

    private static int accessOf(Method m) {
        int mod = m.getModifiers();
        int access = Modifier.isPublic(mod) ? ACC_PUBLIC : Modifier.isProtected(mod) ? ACC_PROTECTED : 0;
        if (m.isVarArgs()) {
            access |= ACC_VARARGS;
        }
        return access;
    }

    private static String[] exceptions(Method m) {
        Class<?>[] ex = m.getExceptionTypes();
        if (ex.length == 0) {
            return null;
        }
        String[] out = new String[ex.length];
        for (int i = 0; i < ex.length; i++) {
            out[i] = Type.getInternalName(ex[i]);
        }
        return out;
    }

    private static void pushInt(MethodVisitor mv, int v) {
        if (v <= 5) {
            mv.visitInsn(ICONST_0 + v);
        } else if (v <= Byte.MAX_VALUE) {
            mv.visitIntInsn(BIPUSH, v);
        } else {
            mv.visitIntInsn(SIPUSH, v);
        }
    }
}
