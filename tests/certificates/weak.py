"""Test vectors for the weak-key checks, made here: a ROCA-structured RSA key (primes of the
Infineon form k·M + 65537^a mod M), an RSA key with close primes (Fermat), and helpers."""
from __future__ import annotations

import math
import secrets

from cryptography.hazmat.primitives.asymmetric import rsa

from certdesk.certificates import weakkeys

_SMALL = weakkeys._primes_below(1000)


def is_probable_prime(n: int, rounds: int = 24) -> bool:
    if n < 2:
        return False
    for p in _SMALL:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def private_key_from_primes(p: int, q: int, e: int = 65537) -> rsa.RSAPrivateKey:
    d = pow(e, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p, q=q, d=d, dmp1=rsa.rsa_crt_dmp1(d, p), dmq1=rsa.rsa_crt_dmq1(d, q), iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key()


def _roca_prime(bits: int, M: int) -> int:
    """A prime of the Infineon RSALib form k·M + (65537^a mod M), about `bits` long."""
    k_bits = bits - M.bit_length()
    while True:
        a = secrets.randbelow(2 ** 32) + 1
        r = pow(65537, a, M)
        for _ in range(2000):
            k = secrets.randbits(k_bits) | (1 << (k_bits - 1))
            p = k * M + r
            if p.bit_length() == bits and (p - 1) % 65537 and is_probable_prime(p):
                return p


def roca_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    # M = the product of the first 126 primes (2 … 701), as RSALib uses for 1984–3936-bit keys.
    M = math.prod(weakkeys._primes_below(702))
    while True:
        p, q = _roca_prime(bits // 2, M), _roca_prime(bits // 2, M)
        if p != q and (p * q).bit_length() == bits:
            return private_key_from_primes(p, q)


def _next_prime(n: int) -> int:
    n |= 1
    while not is_probable_prime(n):
        n += 2
    return n


def close_primes_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """p and q adjacent primes: Fermat's method factors n in the first round."""
    while True:
        p = _next_prime(secrets.randbits(bits // 2) | (3 << (bits // 2 - 2)))
        q = _next_prime(p + 2)
        if (p - 1) % 65537 and (q - 1) % 65537 and (p * q).bit_length() == bits:
            return private_key_from_primes(p, q)
