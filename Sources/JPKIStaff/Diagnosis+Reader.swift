import JPKIAPI

extension Diagnosis {
    /// Findings about the reader itself: one that does not power the card down (``ReaderView/unsafe``).
    public func readerFindings(for reader: ReaderView) -> [Finding] {
        guard reader.unsafe != nil else { return [] }
        return [
            Finding(
                severity: .problem,
                summary: t(
                    "カードリーダー「\(reader.name)」はカードの電源を切りません。暗証番号の照合状態が残るおそれがあるため、このリーダーでの暗証番号の操作は停止しています。",
                    "The reader \"\(reader.name)\" does not power the card down: a verified PIN could stay open to other programs, so PIN operations on it are refused."
                ),
                actions: [
                    t(
                        "別のカードリーダーを使ってください。このリーダーは抜き差しするか jpkid を再起動するまで使えません。",
                        "Use another reader. This one stays refused until it is unplugged or jpkid restarts."),
                    t(
                        "カードの暗証番号は無事です。利用者の方の操作は不要です。",
                        "The citizen's PINs are unharmed; the citizen need not do anything."),
                ])
        ]
    }
}
