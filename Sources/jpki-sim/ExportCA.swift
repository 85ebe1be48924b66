import ArgumentParser
import CardSimulator
import Foundation

extension JPKISim {
    /// Writes the card's two CA certificates (EF 000B, EF 0002) as PEM files in `directory`:
    /// the test trust anchors for jpkid's `trustAnchors` setting.
    static func exportCA(_ image: CardImage, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, fid) in [("auth-ca", UInt16(0x000B)), ("sign-ca", UInt16(0x0002))] {
            guard let der = image.file(fid) else { throw ValidationError("this card has no \(name) certificate") }
            let body = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            let pem = "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
            let path = (directory as NSString).appendingPathComponent("\(name).pem")
            try Data(pem.utf8).write(to: URL(fileURLWithPath: path))
            log("wrote \(path)")
        }
    }
}
