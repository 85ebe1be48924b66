/// The staff page's files, as the server sends them. SwiftPM compiles the files under
/// `StaffUI/Page/` into the binary (`.embedInCode` in Package.swift): edit them there, and the
/// next build serves them; there is no generated copy to keep in step.
enum StaffUIAssets {
    static let indexHTML = text(PackageResources.index_html)
    static let appJS = text(PackageResources.app_js)
    static let appCSS = text(PackageResources.app_css)
    static let genuineJS = text(PackageResources.genuine_js)
    static let genuineCSS = text(PackageResources.genuine_css)

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
