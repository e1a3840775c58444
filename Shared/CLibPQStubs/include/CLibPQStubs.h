// No public interface: the stubs only satisfy libpq.a at link time.
