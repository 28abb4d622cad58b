"""Memory backends: the `MemoryBackend` interface, the mem0 adapter, and the factory that builds them.

- `MemoryBackend`, `MemoryHit`, `ForwardingBackend` (base.py)
- `Mem0Backend` (mem0.py): any mem0 object, sync or async, local or hosted.
- `create_memory`, `as_backend` (factory.py): the embedded offline default, and the one place
  where whatever a user passed as ``memory`` becomes a backend.
"""
