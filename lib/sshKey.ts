/** Validation of the `sshPublicKey` setting: the OpenSSH public keys EC2 imports. */

/** SSH key types EC2 imports for Linux instances. */
export const SSH_KEY_TYPES = ["ssh-rsa", "ssh-ed25519"];

/**
 * True for one OpenSSH public key line (`<type> <base64> [comment]`) of a type EC2 imports, whose
 * body decodes to exactly a key of that type: the type name, then for ed25519 a 32-byte key, for
 * RSA an exponent and a modulus of at least 1024 bits, and nothing after. Truncated pastes, two
 * keys run together and private keys all fail.
 */
export function isValidSshPublicKey(line: string): boolean {
    const [type, body] = line.trim().split(/\s+/);
    if (!SSH_KEY_TYPES.includes(type) || body === undefined) {
        return false;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
        return false;
    }
    const blob = Buffer.from(body, "base64");
    let offset = 0;
    /** The next length-prefixed field of the blob, or undefined past its end. */
    const field = (): Buffer | undefined => {
        if (offset + 4 > blob.length) {
            return undefined;
        }
        const length = blob.readUInt32BE(offset);
        const start = offset + 4;
        offset = start + length;
        return offset <= blob.length ? blob.subarray(start, offset) : undefined;
    };
    if (field()?.toString("latin1") !== type) {
        return false;
    }
    if (type === "ssh-ed25519") {
        return field()?.length === 32 && offset === blob.length;
    }
    const exponent = field();
    const modulus = field();
    return (
        exponent !== undefined &&
        exponent.length > 0 &&
        modulus !== undefined &&
        // An mpint may carry one leading zero byte to stay positive.
        modulus.length - (modulus[0] === 0 ? 1 : 0) >= 128 &&
        offset === blob.length
    );
}
