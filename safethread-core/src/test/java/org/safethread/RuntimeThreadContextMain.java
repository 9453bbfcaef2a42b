package org.safethread;

import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM program for {@link RuntimeThreadContextTest}: a plugin loaded by a throwaway class
 * loader (which is also the context loader) makes the first calls into safethread; then the
 * plugin is dropped and the program reports whether its loader was collected, and what the
 * runtime threads inherited. Prints lines {@code THREAD name daemon contextLoader} and finally
 * {@code COLLECTED} or {@code RETAINED}.
 */
public final class RuntimeThreadContextMain {
    private static final String PLUGIN = "org.safethread.ContextPlugin";

    /** Loads the plugin's class itself (child first); everything else from its parent. */
    static final class PluginLoader extends URLClassLoader {
        PluginLoader(URL[] urls, ClassLoader parent) {
            super("plugin", urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(PLUGIN)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : findClass(name);
            }
        }
    }

    private RuntimeThreadContextMain() {
    }

    static boolean running(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    public static void main(String[] args) throws Exception {
        WeakReference<ClassLoader> ref = runPlugin();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("safethread-")) {
                ClassLoader cl = t.getContextClassLoader();
                System.out.println("THREAD " + t.getName() + " " + t.isDaemon() + " "
                        + (cl == null ? "null" : cl == ClassLoader.getSystemClassLoader() ? "system" : cl.getName()));
            }
        }
        List<byte[]> pressure = new ArrayList<>();
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            if (i % 10 == 9) {
                pressure.add(new byte[1 << 20]);
            }
            Thread.sleep(20);
        }
        System.out.println(ref.get() == null ? "COLLECTED" : "RETAINED");
    }

    private static WeakReference<ClassLoader> runPlugin() throws Exception {
        URL classes = ContextPlugin.class.getProtectionDomain().getCodeSource().getLocation();
        PluginLoader loader = new PluginLoader(new URL[] {classes}, RuntimeThreadContextMain.class.getClassLoader());
        Thread me = Thread.currentThread();
        ClassLoader before = me.getContextClassLoader();
        me.setContextClassLoader(loader);
        try {
            Class<?> plugin = loader.loadClass(PLUGIN);
            if (plugin.getClassLoader() != loader) {
                throw new AssertionError("the plugin class was not defined by the plugin loader");
            }
            plugin.getMethod("run").invoke(null);
        } finally {
            me.setContextClassLoader(before);
        }
        for (String name : new String[] {"safethread-finalizer", "safethread-housekeeper", "safethread-collector"}) {
            if (!running(name)) {
                throw new AssertionError(name + " was not started by the plugin");
            }
        }
        WeakReference<ClassLoader> ref = new WeakReference<>(loader);
        loader.close();
        return ref;
    }
}
