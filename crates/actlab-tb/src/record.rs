//! TFRecord framing, the container of TensorBoard's event files: each record is
//! `u64 length (LE) · u32 masked CRC-32C of those 8 bytes · data · u32 masked CRC-32C of data`.

/// A CRC-32C masked as TFRecord does (so that a CRC of data holding CRCs stays well mixed).
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// `data` framed as one record.
pub fn encode(data: &[u8]) -> Vec<u8> {
    let length = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&length);
    out.extend_from_slice(&masked_crc(&length).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

/// The records of `bytes` up to the first one that is incomplete or fails its checksum, and
/// the length of that valid prefix (a writer killed mid-record leaves a torn tail; a reader
/// stops there, and a writer that continues the file cuts it first).
pub fn decode(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 12) {
        let (length, crc) = header.split_at(8);
        if masked_crc(length).to_le_bytes() != crc {
            break;
        }
        let mut le = [0u8; 8];
        le.copy_from_slice(length);
        let Ok(n) = usize::try_from(u64::from_le_bytes(le)) else {
            break;
        };
        let start = at + 12;
        let Some(end) = start.checked_add(n) else {
            break;
        };
        let (Some(data), Some(crc)) = (bytes.get(start..end), bytes.get(end..end + 4)) else {
            break;
        };
        if masked_crc(data).to_le_bytes() != crc {
            break;
        }
        records.push(data);
        at = end + 4;
    }
    (records, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_and_its_mask_match_the_published_values() {
        // CRC-32C (Castagnoli) check value from RFC 3720 / the CRC catalogue.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        // The mask by hand: rotate right by 15 (the low 15 bits move to the top), add
        // 0xa282ead8, modulo 2^32.
        let crc: u64 = 0xE306_9283;
        let rotated = (crc >> 15) + ((crc & 0x7fff) << 17);
        let by_hand = (rotated + 0xa282_ead8) % (1u64 << 32);
        assert_eq!(masked_crc(b"123456789") as u64, by_hand);
    }

    #[test]
    fn records_round_trip_and_a_torn_or_corrupt_tail_is_cut() {
        let mut file = encode(b"first");
        file.extend(encode(b""));
        file.extend(encode(b"third record"));
        let whole = file.len();
        let (records, valid) = decode(&file);
        assert_eq!(records, vec![&b"first"[..], b"", b"third record"]);
        assert_eq!(valid, whole);
        // Layout: 8-byte length, 4-byte CRC, data, 4-byte CRC.
        assert_eq!(&file[..8], &5u64.to_le_bytes());
        assert_eq!(&file[12..17], b"first");
        // Any cut into the third record (28 bytes) leaves the first two.
        for cut in 1..=28 {
            let (records, valid) = decode(&file[..whole - cut]);
            assert_eq!(records.len(), 2, "cut {cut}");
            assert_eq!(valid, 21 + 16);
        }
        let mut flipped = file.clone();
        flipped[12 + 2] ^= 1;
        assert_eq!(decode(&flipped), (Vec::new(), 0));
        let mut huge = encode(b"x");
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let crc = masked_crc(&huge[..8]).to_le_bytes();
        huge[8..12].copy_from_slice(&crc);
        assert_eq!(
            decode(&huge).1,
            0,
            "an absurd length is a torn record, not a panic"
        );
    }
}
