package org.safethread.internal.monitor;

import java.io.IOException;
import java.io.InputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** Reads a loaded class's class file, for the checks that need its bytecode. */
final class ClassBytes {
    private ClassBytes() {
    }

    /** @return the class file of {@code c}, or null where it cannot be read (defined at run time) */
    static byte[] read(Class<?> c) {
        String path = c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.getModule().getResourceAsStream(path)) { // .class files are never encapsulated
            if (in != null) {
                return in.readAllBytes();
            }
        } catch (IOException | SecurityException e) {
            // fall through to the loader
        }
        ClassLoader loader = c.getClassLoader();
        try (InputStream in = loader != null ? loader.getResourceAsStream(path)
                : ClassLoader.getSystemResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * @return {name, descriptor} of the method that bridge {@code name desc} of {@code c} calls
     *     (its one call of a method with the same name), or null if the bytecode cannot be read
     */
    static String[] bridgeTarget(Class<?> c, String name, String desc) {
        byte[] bytes = read(c);
        if (bytes == null) {
            return null;
        }
        String[][] found = new String[1][];
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String n, String d, String signature, String[] exceptions) {
                if (!n.equals(name) || !d.equals(desc)) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String mn, String md, boolean itf) {
                        if (found[0] == null && mn.equals(name) && opcode != Opcodes.INVOKESTATIC) {
                            found[0] = new String[] {mn, md};
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return found[0];
    }
}
