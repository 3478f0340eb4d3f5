import Switchyard

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file of the spool, read and written at explicit offsets with blocking system calls.
///
/// Only ``DualWriteSpool``'s serial I/O queue calls it, never the cooperative thread pool, because
/// `fsync` can block for milliseconds.
struct SpoolFile: Sendable {
    let path: String
    private let descriptor: Int32

    /// Opens `path` for reading and writing, creating it when it is missing.
    init(path: String) throws(SwitchyardError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("open", path) }
        self.path = path
        self.descriptor = descriptor
    }

    /// The file's size in bytes.
    func size() throws(SwitchyardError) -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.failure("stat", path) }
        return Int(status.st_size)
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: Int) throws(SwitchyardError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("write", path)
            }
            written += result
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(_ count: Int, at offset: Int) throws(SwitchyardError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + total, count - total, off_t(offset + total))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("read", path)
            }
            if result == 0 { break }
            total += result
        }
        bytes.removeLast(count - total)
        return bytes
    }

    /// Forces what was written to the disk.
    func sync() throws(SwitchyardError) {
        guard fsync(descriptor) == 0 else { throw Self.failure("fsync", path) }
    }

    /// Cuts the file to `length` bytes and syncs it.
    func truncate(to length: Int) throws(SwitchyardError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw Self.failure("truncate", path) }
        try sync()
    }

    /// Takes an exclusive advisory lock, so two processes never share one spool. The kernel releases it
    /// when the process dies, even by SIGKILL.
    func lockExclusively() throws(SwitchyardError) {
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw SwitchyardError(
                .invalidConfiguration,
                "The spool lock \(path) is held by another process. Give each process its own dual.spool directory."
            )
        }
    }

    /// Closes the file, which also releases the lock.
    func release() {
        close(descriptor)
    }

    /// Syncs a directory, so a file created or renamed in it survives a crash.
    static func syncDirectory(_ path: String) throws(SwitchyardError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
    }

    /// Creates `path` as a directory, with its parents, when it is missing.
    static func makeDirectory(_ path: String) throws(SwitchyardError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw failure("create the directory", prefix)
            }
            prefix += "/"
        }
    }

    /// Replaces `destination` by `source` atomically.
    static func replace(_ destination: String, with source: String) throws(SwitchyardError) {
        guard rename(source, destination) == 0 else { throw failure("rename", source) }
    }

    private static func failure(_ operation: String, _ path: String) -> SwitchyardError {
        let reason = String(cString: strerror(errno))
        return SwitchyardError(
            .internalError,
            "Could not \(operation) the dual-write spool file \(path): \(reason). Check the dual.spool directory: it must be writable and on a local disk with free space."
        )
    }
}
