/// Step 1 of each AP's check: its CVC under the CA key its issuer id names (reference 13.1).
enum CVCStep {
    /// The step, and the key the CVC certifies (the AP key) whenever the CVC parses, so that the
    /// records can still be checked and reported when the CVC itself is not proven.
    static func check(
        _ ef: [UInt8]?, _ name: GenuineStep.Name, authorities: CVCAuthorities, unreadable: String? = nil
    ) -> (step: GenuineStep, certificate: CardVerifiableCertificate?) {
        guard let ef else {
            return (GenuineStep(name, .notChecked, unreadable ?? "EF 0004 could not be read"), nil)
        }
        let cvc: CardVerifiableCertificate
        do {
            cvc = try CardVerifiableCertificate.parse(ef)
        } catch {
            return (GenuineStep(name, .notChecked, "EF 0004 is not a CVC: \(error.message)"), nil)
        }
        switch authorities.lookup(cvc.issuer) {
        case .unknown:
            return (GenuineStep(name, .unknownIssuer, "issuer key \(cvc.issuer) is not known"), cvc)
        case .testHierarchyRefused:
            return (
                GenuineStep(
                    name, .unknownIssuer,
                    "issuer key \(cvc.issuer) belongs to the JPKI test hierarchy, not allowed here"),
                cvc
            )
        case .known(let entry):
            guard cvc.isSigned(by: entry.key) else {
                return (
                    GenuineStep(
                        name, .failed,
                        "the CVC does not verify under the \(entry.source) key \(cvc.issuer) that its issuer id names"),
                    cvc
                )
            }
            return (GenuineStep(name, .passed, "signed by \(entry.source) key \(cvc.issuer)"), cvc)
        }
    }
}
