import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a PIN from the terminal without echo, or a line of standard input.
func readPIN(prompt: String) throws -> String {
    if isatty(STDIN_FILENO) != 0 {
        StandardStream.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            StandardStream.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }
    guard let line = readLine(strippingNewline: true) else {
        printError("no PIN on standard input")
        throw Exit.badInput.code
    }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
}
