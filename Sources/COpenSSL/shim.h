#ifndef JPKID_COPENSSL_SHIM_H
#define JPKID_COPENSSL_SHIM_H
// Only the raw PKCS#1 v1.5 signing the simulated card needs: the card signs a
// DigestInfo that arrives already built, which swift-crypto cannot do.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#endif
