import ISO7816

/// What the card-face AP (券面事項確認AP) holds in EF `0002` (reference 5c): the face photo, the
/// printed name, address and security code as images, the birth date, the sex and the card's
/// expiry.
///
/// All of it is personal data: `description`, `debugDescription`, `dump` and string
/// interpolation show only sizes, never a value or an image byte.
public struct CardFace: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The face photo, JPEG 2000, bytes as they are on the card.
    public var photo: [UInt8]
    /// The name as printed, PNG.
    public var nameImage: [UInt8]
    /// The address as printed, PNG.
    public var addressImage: [UInt8]
    /// The security code as printed, PNG; nil when the card has none.
    public var securityCodeImage: [UInt8]?
    /// The birth date as the card stores it (ASCII, normally `YYYYMMDD`).
    public var birthDate: String
    public var sex: Sex
    /// The card's expiry date as stored (ASCII, normally `YYYYMMDD`); nil when absent.
    public var expiry: String?

    public init(
        photo: [UInt8], nameImage: [UInt8], addressImage: [UInt8], securityCodeImage: [UInt8]?, birthDate: String,
        sex: Sex, expiry: String?
    ) {
        self.photo = photo
        self.nameImage = nameImage
        self.addressImage = addressImage
        self.securityCodeImage = securityCodeImage
        self.birthDate = birthDate
        self.sex = sex
        self.expiry = expiry
    }

    /// The JPEG 2000 file signature box (`jP  `) every card photo starts with.
    public static let jpeg2000Signature: [UInt8] = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]
    /// The PNG signature.
    public static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether the photo carries the JPEG 2000 signature (a card with another format is passed on
    /// as it is; this only tells).
    public var photoIsJPEG2000: Bool { photo.starts(with: Self.jpeg2000Signature) }

    public var description: String {
        "CardFace(photo: \(photo.count) bytes, images: \(imageCount), redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["photoBytes": photo.count, "images": imageCount])
    }

    private var imageCount: Int { 2 + (securityCodeImage == nil ? 0 : 1) }

    /// The tags after the offset table, in the only order accepted (`DF29` and `DF2A` may follow,
    /// in that order, once each).
    static let layoutTags: [UInt32] = [0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28]

    /// EF `0002`: `FF 20` holding `DF 21` offset table (checked), `DF 22` birth date, `DF 23` sex, `DF 24`
    /// public key (ignored), `DF 25` name PNG, `DF 26` address PNG, `DF 27` photo, `DF 28` signature
    /// (ignored), `DF 29` expiry, `DF 2A` security code PNG.
    public static func parse(_ ef: [UInt8]) throws(CardError) -> CardFace {
        let file = "card face EF 0002"
        let children = try CardDataTLV.checkedStoredFields(
            ef, tag: 0xFF20, file: file, layout: layoutTags, optional: [0xDF29, 0xDF2A]
        ).map(\.tlv)
        let photo = try CardDataTLV.value(children, 0xDF27, "photo", file: file)
        guard !photo.isEmpty else { throw .malformedResponse("\(file): the photo is empty") }
        let birth = try CardDataTLV.utf8(children, 0xDF22, "birth date", file: file)
        let sex = try CardDataTLV.utf8(children, 0xDF23, "sex", file: file)
        let expiry =
            children.contains { $0.tag == 0xDF29 }
            ? try CardDataTLV.utf8(children, 0xDF29, "expiry", file: file) : nil
        let securityCode = children.first { $0.tag == 0xDF2A }?.value
        return CardFace(
            photo: photo,
            nameImage: try CardDataTLV.value(children, 0xDF25, "name image", file: file),
            addressImage: try CardDataTLV.value(children, 0xDF26, "address image", file: file),
            securityCodeImage: securityCode, birthDate: birth, sex: Sex(code: sex), expiry: expiry)
    }
}
