module org.safethread {
    requires org.slf4j;
    requires org.objectweb.asm;
    requires jdk.jfr;
    requires jdk.unsupported;
    exports org.safethread;
}
