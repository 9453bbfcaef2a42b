package org.safethread.internal.monitor;

import static org.objectweb.asm.Opcodes.ACC_FINAL;
import static org.objectweb.asm.Opcodes.ACC_PRIVATE;
import static org.objectweb.asm.Opcodes.ACC_PROTECTED;
import static org.objectweb.asm.Opcodes.ACC_PUBLIC;
import static org.objectweb.asm.Opcodes.ACC_SUPER;
import static org.objectweb.asm.Opcodes.ACC_SYNTHETIC;
import static org.objectweb.asm.Opcodes.ACC_VARARGS;
import static org.objectweb.asm.Opcodes.ALOAD;
import static org.objectweb.asm.Opcodes.ARETURN;
import static org.objectweb.asm.Opcodes.ASTORE;
import static org.objectweb.asm.Opcodes.ATHROW;
import static org.objectweb.asm.Opcodes.BIPUSH;
import static org.objectweb.asm.Opcodes.DUP;
import static org.objectweb.asm.Opcodes.GETFIELD;
import static org.objectweb.asm.Opcodes.ICONST_0;
import static org.objectweb.asm.Opcodes.ICONST_1;
import static org.objectweb.asm.Opcodes.IF_ACMPNE;
import static org.objectweb.asm.Opcodes.INVOKEINTERFACE;
import static org.objectweb.asm.Opcodes.INVOKESPECIAL;
import static org.objectweb.asm.Opcodes.INVOKESTATIC;
import static org.objectweb.asm.Opcodes.INVOKEVIRTUAL;
import static org.objectweb.asm.Opcodes.IRETURN;
import static org.objectweb.asm.Opcodes.PUTFIELD;
import static org.objectweb.asm.Opcodes.RETURN;
import static org.objectweb.asm.Opcodes.SIPUSH;
import static org.objectweb.asm.Opcodes.V17;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;
import org.safethread.MonitorMethod;
import org.safethread.RefCounted;
import org.safethread.internal.share.ShareRules;

/**
 * Generates monitor proxy classes with ASM, one per target class (class proxies) or interface
 * (interface proxies), cached in {@link ClassValue}s.
 *
 * <h2>What a proxy method is</h2>
 * <pre>
 *   R m(A a, int i) {
 *       ProxySupport.checkArgument(a, "Account.m", 1);   // only reference args that need it
 *       Object token = ProxySupport.enter(this.$lock);
 *       try {
 *           R r = this.$target.m(a, i);                  // invokevirtual / invokeinterface
 *           ProxySupport.checkResult(r, "Account.m");    // only if R needs it
 *           return r;                                    // (after exit)
 *       } finally {
 *           ProxySupport.exit(this.$lock, token);
 *       }
 *   }
 * </pre>
 * No reflection and no boxing per call: the proxy is a real subclass (or implementation) whose
 * methods the JIT inlines like hand-written code. Arguments whose declared type is a final class
 * that is always shareable ({@code String}, boxes, enums, …) are not checked at run time.
 *
 * <h2>Class proxies</h2>
 * A subclass of the target's class, defined in the target's package with
 * {@link MethodHandles#privateLookupIn} (so package-private monitor methods work). It is
 * instantiated without running any constructor of the target's class (the JDK's serialization
 * constructor mechanism), and its two final fields are then set by reflection, which under the
 * Java memory model freezes them like a constructor would (JLS 17.5.3), so even a racily
 * published proxy is safe to call. Methods that are not monitor methods are overridden to throw.
 *
 * <h2>Interface proxies</h2>
 * A class implementing the interface, defined in the interface's package when we may, else in
 * this package (public interfaces of other modules, e.g. {@code java.util.List}), with a real
 * constructor.
 */
final class ProxyFactory {
    private static final String SUPPORT = Type.getInternalName(ProxySupport.class);
    private static final String LOCK = Type.getInternalName(MonitorLock.class);
    private static final String LOCK_DESC = Type.getDescriptor(MonitorLock.class);
    private static final String MARKER = Type.getInternalName(MonitorProxy.class);
    private static final String TARGET_FIELD = "$target";
    private static final String LOCK_FIELD = "$lock";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /** A generated class, or why one cannot be made. */
    static final class ProxyClass {
        final String refusal;
        final Class<?> type;
        // class proxies
        final Constructor<?> allocator;
        final Field targetField;
        final Field lockField;
        // interface proxies
        final MethodHandle constructor;

        ProxyClass(String refusal) {
            this(refusal, null, null, null, null, null);
        }

        ProxyClass(String refusal, Class<?> type, Constructor<?> allocator, Field targetField, Field lockField,
                MethodHandle constructor) {
            this.refusal = refusal;
            this.type = type;
            this.allocator = allocator;
            this.targetField = targetField;
            this.lockField = lockField;
            this.constructor = constructor;
        }
    }

    private static final ClassValue<ProxyClass> CLASS_PROXIES = new ClassValue<>() {
        @Override
        protected ProxyClass computeValue(Class<?> type) {
            try {
                return makeClassProxy(type);
            } catch (RuntimeException | LinkageError | ReflectiveOperationException e) {
                return new ProxyClass("Monitor.of: cannot generate a proxy for " + type.getName() + ": " + e
                        + accessHint(type));
            }
        }
    };

    private static final ClassValue<ProxyClass> INTERFACE_PROXIES = new ClassValue<>() {
        @Override
        protected ProxyClass computeValue(Class<?> type) {
            try {
                return makeInterfaceProxy(type);
            } catch (RuntimeException | LinkageError | ReflectiveOperationException e) {
                return new ProxyClass("Monitor.of: cannot generate a proxy for interface " + type.getName() + ": " + e
                        + accessHint(type));
            }
        }
    };

    private ProxyFactory() {
    }

    private static String accessHint(Class<?> type) {
        return type.getModule().isNamed()
                ? " (if its module is named, open package " + type.getPackageName() + " to org.safethread)"
                : "";
    }

    // ------------------------------------------------------------------ public entry points

    static Object classProxy(Object target, MonitorLock lock) {
        ProxyClass pc = CLASS_PROXIES.get(target.getClass());
        if (pc.refusal != null) {
            throw new IllegalArgumentException(pc.refusal);
        }
        try {
            Object proxy = pc.allocator.newInstance();
            pc.targetField.set(proxy, target);
            pc.lockField.set(proxy, lock);
            return proxy;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Monitor.of: cannot instantiate the proxy of " + target.getClass().getName(), e);
        }
    }

    static Object interfaceProxy(Object target, Class<?> iface, MonitorLock lock) {
        ProxyClass pc = INTERFACE_PROXIES.get(iface);
        if (pc.refusal != null) {
            throw new IllegalArgumentException(pc.refusal);
        }
        try {
            return pc.constructor.invoke(target, lock);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("Monitor.of: cannot instantiate the proxy of " + iface.getName(), e);
        }
    }

    // ------------------------------------------------------------------ class proxies

    private static ProxyClass makeClassProxy(Class<?> type) throws ReflectiveOperationException {
        String name = type.getName();
        if (Modifier.isFinal(type.getModifiers())) {
            return new ProxyClass("Monitor.of: " + name + " is final, so no proxy subclass can guard it: make it "
                    + "non-final, or declare its monitor methods in an interface and use Monitor.of(target, Iface.class)");
        }
        if (type.isSealed()) {
            return new ProxyClass("Monitor.of: " + name + " is sealed, so no proxy subclass can guard it: use an "
                    + "interface proxy, Monitor.of(target, Iface.class)");
        }
        if (RefCounted.class.isAssignableFrom(type)) {
            return new ProxyClass("Monitor.of: " + name + " is a RefCounted, whose public final count methods a "
                    + "class proxy cannot guard: declare its monitor methods in an interface and use "
                    + "Monitor.of(target, Iface.class)");
        }
        if (type.isHidden() || type.isSynthetic()) {
            return new ProxyClass("Monitor.of: " + name + " is a hidden or synthetic class and cannot be subclassed");
        }
        Map<String, Method> methods = new LinkedHashMap<>(); // signature -> most derived
        Map<String, Boolean> monitor = new LinkedHashMap<>();
        String pkg = type.getPackageName();
        List<Method> bridges = new ArrayList<>();
        try {
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Method m : c.getDeclaredMethods()) {
                    if (m.isBridge() && !Modifier.isStatic(m.getModifiers())) {
                        bridges.add(m);
                    }
                    collect(type, pkg, c, m, methods, monitor);
                }
            }
        } catch (Refused r) {
            return new ProxyClass(r.getMessage());
        }
        for (Class<?> i : allInterfaces(type)) {
            for (Method m : i.getDeclaredMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || m.isSynthetic() || Modifier.isPrivate(m.getModifiers())) {
                    continue;
                }
                String sig = signature(m);
                if (!methods.containsKey(sig) && m.isDefault()) {
                    methods.put(sig, m);
                }
                if (m.isAnnotationPresent(MonitorMethod.class)) {
                    monitor.put(sig, Boolean.TRUE);
                }
            }
        }
        inheritThroughBridges(bridges, monitor);
        boolean any = false;
        for (String sig : methods.keySet()) {
            if (monitor.getOrDefault(sig, Boolean.FALSE)) {
                any = true;
                Method m = methods.get(sig);
                if (Modifier.isProtected(m.getModifiers()) && !m.getDeclaringClass().getPackageName().equals(pkg)) {
                    return new ProxyClass("Monitor.of: protected @MonitorMethod " + m.getDeclaringClass().getName() + "."
                            + m.getName() + " is inherited from another package and cannot be called through a proxy: "
                            + "override it in " + name + " or make it public");
                }
            }
        }
        if (!any) {
            return new ProxyClass("Monitor.of: " + name + " has no @MonitorMethod: annotate the methods that read or "
                    + "change its state with @MonitorMethod (a monitor has no unlocked path to its state)");
        }
        String display = displayName(type);
        String proxyName = name + "$$SafeMonitor$" + SEQUENCE.incrementAndGet();
        byte[] bytes = generateClassProxy(type, proxyName, methods, monitor, display);
        MethodHandles.Lookup lookup = lookupInto(type);
        Class<?> proxy = lookup.defineClass(bytes);
        @SuppressWarnings("deprecation")
        Constructor<?> allocator = sun.reflect.ReflectionFactory.getReflectionFactory()
                .newConstructorForSerialization(proxy, Object.class.getDeclaredConstructor());
        Field tf = proxy.getDeclaredField(TARGET_FIELD);
        Field lf = proxy.getDeclaredField(LOCK_FIELD);
        tf.setAccessible(true);
        lf.setAccessible(true);
        return new ProxyClass(null, proxy, allocator, tf, lf, null);
    }

    /** A class proxy cannot be made; the message says why and what to do. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Records {@code m} (declared in {@code c}, a class in {@code type}'s hierarchy). */
    private static void collect(Class<?> type, String pkg, Class<?> c, Method m, Map<String, Method> methods,
            Map<String, Boolean> monitor) throws Refused {
        int mod = m.getModifiers();
        boolean annotated = m.isAnnotationPresent(MonitorMethod.class);
        String where = c.getName() + "." + m.getName();
        if (Modifier.isStatic(mod)) {
            if (annotated) {
                throw new Refused("Monitor.of: @MonitorMethod " + where + " is static: a static method has no monitor; "
                        + "make it an instance method");
            }
            return;
        }
        if (m.isBridge() || m.isSynthetic()) {
            return;
        }
        if (Modifier.isPrivate(mod)) {
            if (annotated) {
                throw new Refused("Monitor.of: @MonitorMethod " + where + " is private, so a proxy cannot guard it: make "
                        + "it package-private, protected or public (private methods are only called from inside)");
            }
            return;
        }
        String sig = signature(m);
        boolean samePackage = c.getPackageName().equals(pkg);
        boolean packagePrivate = !Modifier.isPublic(mod) && !Modifier.isProtected(mod);
        if (packagePrivate && !samePackage) {
            if (annotated) {
                throw new Refused("Monitor.of: package-private @MonitorMethod " + where + " is declared in another "
                        + "package than " + type.getName() + " and cannot be overridden by its proxy: make it public");
            }
            return;
        }
        if (Modifier.isFinal(mod)) {
            if (!methods.containsKey(sig)) {
                if (annotated) {
                    throw new Refused("Monitor.of: @MonitorMethod " + where + " is final, so a proxy cannot guard it: "
                            + "remove final");
                } else if (Modifier.isPublic(mod)) {
                    throw new Refused("Monitor.of: public final method " + where + " cannot be guarded by a proxy and "
                            + "would run on the proxy's empty state: make it non-final, or not public");
                }
            }
            return;
        }
        if (!methods.containsKey(sig)) {
            methods.put(sig, m);
        }
        if (annotated) {
            monitor.put(sig, Boolean.TRUE);
        }
    }

    /**
     * A method that overrides a generic {@code @MonitorMethod} with a more specific signature
     * ({@code put(String)} overriding {@code put(T)}) is linked to it only by the compiler's bridge
     * ({@code put(Object)} calling {@code put(String)}). The bridge's erased signature is that of
     * the annotated method, so its monitor-ness passes to the method the bridge calls: the same
     * class's non-bridge method of that name whose parameter types are assignable to the bridge's.
     * Repeated until nothing changes (chains of generic overrides).
     */
    private static void inheritThroughBridges(List<Method> bridges, Map<String, Boolean> monitor) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Method b : bridges) {
                if (!monitor.getOrDefault(signature(b), Boolean.FALSE)) {
                    continue;
                }
                for (Method t : b.getDeclaringClass().getDeclaredMethods()) {
                    if (t.isBridge() || !t.getName().equals(b.getName())
                            || t.getParameterCount() != b.getParameterCount()
                            || !b.getReturnType().isAssignableFrom(t.getReturnType())) {
                        continue;
                    }
                    boolean fits = true;
                    Class<?>[] tp = t.getParameterTypes();
                    Class<?>[] bp = b.getParameterTypes();
                    for (int i = 0; i < tp.length && fits; i++) {
                        fits = bp[i].isAssignableFrom(tp[i]);
                    }
                    if (fits && monitor.put(signature(t), Boolean.TRUE) == null) {
                        changed = true;
                    }
                }
            }
        }
    }

    private static List<Class<?>> allInterfaces(Class<?> type) {
        List<Class<?>> out = new ArrayList<>();
        List<Class<?>> work = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                work.add(i);
            }
        }
        while (!work.isEmpty()) {
            Class<?> i = work.remove(work.size() - 1);
            if (!out.contains(i)) {
                out.add(i);
                for (Class<?> s : i.getInterfaces()) {
                    work.add(s);
                }
            }
        }
        return out;
    }

    private static byte[] generateClassProxy(Class<?> type, String proxyName, Map<String, Method> methods,
            Map<String, Boolean> monitor, String display) {
        String self = proxyName.replace('.', '/');
        String superName = Type.getInternalName(type);
        String targetDesc = Type.getDescriptor(type);
        ClassWriter cw = writer();
        cw.visit(V17, ACC_PUBLIC | ACC_FINAL | ACC_SUPER | ACC_SYNTHETIC, self, null, superName, new String[] {MARKER});
        cw.visitField(ACC_PRIVATE | ACC_FINAL, TARGET_FIELD, targetDesc, null, null).visitEnd();
        cw.visitField(ACC_PRIVATE | ACC_FINAL, LOCK_FIELD, LOCK_DESC, null, null).visitEnd();
        for (Map.Entry<String, Method> e : methods.entrySet()) {
            Method m = e.getValue();
            if (isObjectIdentityMethod(m)) {
                continue;
            }
            if (monitor.getOrDefault(e.getKey(), Boolean.FALSE)) {
                guarded(cw, self, targetDesc, superName, false, m, display + "." + m.getName());
            } else {
                refusing(cw, m, display + "." + m.getName() + describeParams(m));
            }
        }
        identityMethods(cw, self, targetDesc);
        cw.visitEnd();
        return cw.toByteArray();
    }

    // ------------------------------------------------------------------ interface proxies

    private static ProxyClass makeInterfaceProxy(Class<?> iface) throws ReflectiveOperationException {
        if (!iface.isInterface() || iface.isAnnotation()) {
            return new ProxyClass("Monitor.of(target, " + iface.getName() + "): " + iface.getName()
                    + " is not an interface; pass the interface whose methods the monitor guards");
        }
        if (iface.isSealed()) {
            return new ProxyClass("Monitor.of(target, " + iface.getName() + "): the interface is sealed and no "
                    + "proxy may implement it");
        }
        if (iface.isHidden()) {
            return new ProxyClass("Monitor.of(target, " + iface.getName() + "): the interface is hidden");
        }
        Map<String, Method> methods = new LinkedHashMap<>();
        for (Method m : iface.getMethods()) { // public abstract and default methods, inherited ones included
            if (Modifier.isStatic(m.getModifiers()) || isObjectIdentityMethod(m)) {
                continue;
            }
            methods.putIfAbsent(m.getName() + Type.getMethodDescriptor(m), m);
        }
        MethodHandles.Lookup lookup;
        String proxyName;
        try {
            lookup = lookupInto(iface);
            proxyName = iface.getName() + "$$SafeMonitor$" + SEQUENCE.incrementAndGet();
        } catch (IllegalAccessException | SecurityException e) {
            if (!Modifier.isPublic(iface.getModifiers())) {
                throw e;
            }
            ProxyFactory.class.getModule().addReads(iface.getModule());
            lookup = MethodHandles.lookup();
            proxyName = ProxyFactory.class.getPackageName() + ".Proxy$" + iface.getSimpleName() + "$"
                    + SEQUENCE.incrementAndGet();
        }
        String self = proxyName.replace('.', '/');
        String ifaceName = Type.getInternalName(iface);
        String targetDesc = Type.getDescriptor(iface);
        String display = displayName(iface);
        ClassWriter cw = writer();
        cw.visit(V17, ACC_PUBLIC | ACC_FINAL | ACC_SUPER | ACC_SYNTHETIC, self, null, "java/lang/Object",
                new String[] {ifaceName, MARKER});
        cw.visitField(ACC_PRIVATE | ACC_FINAL, TARGET_FIELD, targetDesc, null, null).visitEnd();
        cw.visitField(ACC_PRIVATE | ACC_FINAL, LOCK_FIELD, LOCK_DESC, null, null).visitEnd();
        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "(" + targetDesc + LOCK_DESC + ")V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitVarInsn(ALOAD, 0);
        init.visitVarInsn(ALOAD, 1);
        init.visitFieldInsn(PUTFIELD, self, TARGET_FIELD, targetDesc);
        init.visitVarInsn(ALOAD, 0);
        init.visitVarInsn(ALOAD, 2);
        init.visitFieldInsn(PUTFIELD, self, LOCK_FIELD, LOCK_DESC);
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        for (Method m : methods.values()) {
            guarded(cw, self, targetDesc, ifaceName, true, m, display + "." + m.getName());
        }
        identityMethods(cw, self, targetDesc);
        cw.visitEnd();
        Class<?> proxy = lookup.defineClass(cw.toByteArray());
        MethodHandle ctor = MethodHandles.privateLookupIn(proxy, MethodHandles.lookup())
                .findConstructor(proxy, MethodType.methodType(void.class, iface, MonitorLock.class))
                .asType(MethodType.methodType(Object.class, Object.class, MonitorLock.class));
        return new ProxyClass(null, proxy, null, null, null, ctor);
    }

    // ------------------------------------------------------------------ bytecode

    private static ClassWriter writer() {
        return new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return "java/lang/Object"; // our frames never merge two distinct reference types that matter
            }
        };
    }

    private static MethodHandles.Lookup lookupInto(Class<?> type) throws IllegalAccessException {
        Module ours = ProxyFactory.class.getModule();
        Module theirs = type.getModule();
        if (ours.isNamed() && theirs != ours) {
            // Generated classes live in the target's module and call into this package.
            ours.addReads(theirs);
            ours.addExports(ProxyFactory.class.getPackageName(), theirs);
        }
        return MethodHandles.privateLookupIn(type, MethodHandles.lookup());
    }

    private static void guarded(ClassWriter cw, String self, String targetDesc, String targetOwner, boolean viaInterface,
            Method m, String display) {
        String desc = Type.getMethodDescriptor(m);
        int access = accessOf(m);
        MethodVisitor mv = cw.visitMethod(access, m.getName(), desc, null, exceptions(m));
        mv.visitCode();
        Class<?>[] params = m.getParameterTypes();
        int slot = 1;
        for (int i = 0; i < params.length; i++) {
            if (!ShareRules.staticallyShareable(params[i])) {
                mv.visitVarInsn(ALOAD, slot);
                mv.visitLdcInsn(display);
                pushInt(mv, i + 1);
                mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "checkArgument", "(Ljava/lang/Object;Ljava/lang/String;I)V", false);
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
            mv.visitVarInsn(t.getOpcode(org.objectweb.asm.Opcodes.ILOAD), slot);
            slot += t.getSize();
        }
        if (viaInterface) {
            mv.visitMethodInsn(INVOKEINTERFACE, targetOwner, m.getName(), desc, true);
        } else {
            mv.visitMethodInsn(INVOKEVIRTUAL, targetOwner, m.getName(), desc, false);
        }
        if (ret.getSort() == Type.OBJECT || ret.getSort() == Type.ARRAY) {
            if (!ShareRules.staticallyShareable(m.getReturnType())) {
                mv.visitInsn(DUP);
                mv.visitLdcInsn(display);
                mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "checkResult", "(Ljava/lang/Object;Ljava/lang/String;)V", false);
            }
        }
        if (ret.getSort() != Type.VOID) {
            mv.visitVarInsn(ret.getOpcode(org.objectweb.asm.Opcodes.ISTORE), resultSlot);
        }
        mv.visitLabel(end);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        mv.visitVarInsn(ALOAD, tokenSlot);
        mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "exit", "(" + LOCK_DESC + "Ljava/lang/Object;)V", false);
        if (ret.getSort() == Type.VOID) {
            mv.visitInsn(RETURN);
        } else {
            mv.visitVarInsn(ret.getOpcode(org.objectweb.asm.Opcodes.ILOAD), resultSlot);
            mv.visitInsn(ret.getOpcode(IRETURN));
        }
        mv.visitLabel(handler);
        mv.visitVarInsn(ASTORE, excSlot);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, self, LOCK_FIELD, LOCK_DESC);
        mv.visitVarInsn(ALOAD, tokenSlot);
        mv.visitMethodInsn(INVOKESTATIC, SUPPORT, "exit", "(" + LOCK_DESC + "Ljava/lang/Object;)V", false);
        mv.visitVarInsn(ALOAD, excSlot);
        mv.visitInsn(ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
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

    private static boolean isObjectIdentityMethod(Method m) {
        String n = m.getName();
        int pc = m.getParameterCount();
        return n.equals("equals") && pc == 1 && m.getParameterTypes()[0] == Object.class
                || n.equals("hashCode") && pc == 0 || n.equals("toString") && pc == 0
                || n.equals("finalize") && pc == 0 || n.equals("__safethread_lock") && pc == 0
                || n.equals("__safethread_target") && pc == 0;
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

    private static String signature(Method m) {
        return m.getName() + Type.getMethodDescriptor(m).replaceAll("\\).*", ")");
    }

    private static String describeParams(Method m) {
        StringBuilder b = new StringBuilder("(");
        Class<?>[] ps = m.getParameterTypes();
        for (int i = 0; i < ps.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(ps[i].getSimpleName());
        }
        return b.append(')').toString();
    }

    private static String displayName(Class<?> type) {
        String s = type.getSimpleName();
        return s.isEmpty() ? type.getName() : s;
    }
}
