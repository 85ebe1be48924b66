"""Schemathesis hooks for Tests/contract/schemathesis.sh (loaded through schemathesis.toml)."""
import schemathesis


@schemathesis.deserializer("application/x-pem-file")
def pem(ctx, response):
    """A PEM certificate is text: validated against the document's PEM schema (its first line)."""
    return response.content.decode("ascii")
