import Foundation
import Switchyard

/// A report a command writes to a file named by one of its flags.
enum ReportFile {
    /// Writes `bytes` to `path`, replacing the file.
    ///
    /// - Throws: `SwitchyardError` naming `flag` and the path when the file cannot be written.
    static func write(_ bytes: [UInt8], to path: String, flag: String) throws(SwitchyardError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SwitchyardError(.invalidConfiguration, "Could not write the \(flag) report to '\(path)': \(error.localizedDescription). Check that its directory exists and is writable.")
        }
    }
}
