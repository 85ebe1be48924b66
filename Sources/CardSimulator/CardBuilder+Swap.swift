import Foundation

extension CardBuilder {
    /// Swaps the contents of the auth (EF 000A) and sign (EF 0001) certificate files, keeping
    /// each file's read rule: a card whose certificates do not fit their slots.
    static func swapCertificateContents(_ files: inout [CardImage.File]) {
        guard let auth = files.firstIndex(where: { $0.fid == 0x000A }),
            let sign = files.firstIndex(where: { $0.fid == 0x0001 })
        else { return }
        let authContent = files[auth].content
        files[auth].content = files[sign].content
        files[sign].content = authContent
    }
}
