use proptest::prelude::*;
use tether::{Record, Value};

use super::*;

fn example() -> Message {
    Message::Ball {
        sender: 7,
        depth: 0.01,
        ball: Ball {
            id: 0x0000_0007_0000_0001,
            x: 0.0,
            y: 0.5,
            vx: 0.4,
            vy: 0.3,
            radius: 0.05,
            colour: [255, 128, 0],
        },
    }
}

#[test]
fn the_documented_example_bytes() {
    // The hex in docs/PROTOCOL.md, "Ball ring".
    let hex =
        "54420201 00000007 00000007 00000001 3c23d70a 3f000000 3ecccccd 3e99999a 3d4ccccd ff800000";
    let want: Vec<u8> = hex
        .replace(' ', "")
        .as_bytes()
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("zz"), 16).unwrap_or(0))
        .collect();
    assert_eq!(example().encode().to_vec(), want);
    let ack = Message::control(Control::Ack, 9, 0x0000_0007_0000_0001).encode();
    assert_eq!(
        &ack[..16],
        b"TB\x02\x02\x00\x00\x00\x09\x00\x00\x00\x07\x00\x00\x00\x01"
    );
    assert!(ack[16..].iter().all(|b| *b == 0));
}

#[test]
fn the_format_string_describes_the_bytes() {
    let rec = Record::new(FORMAT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rec.size(), SIZE);
    let values = rec
        .unpack(&example().encode())
        .unwrap_or_else(|e| panic!("{e}"));
    let values = values.into_vec();
    assert_eq!(values[0], Value::Bytes(b"TB".to_vec()));
    assert_eq!(values[1].as_int(), Some(2));
    assert_eq!(values[3].as_int(), Some(7));
    assert_eq!(values[4].as_int(), Some(0x0000_0007_0000_0001));
    assert!((values[6].as_f64().unwrap_or(0.0) - 0.5).abs() < 1e-6);
    assert_eq!(values[10].as_int(), Some(255));
}

#[test]
fn refusals_name_what_is_wrong() {
    let good = example().encode();
    // A peer of version 1 (no handover) is refused by name.
    let mut v1 = good;
    v1[2] = 1;
    assert_eq!(
        Message::decode(&v1).map_err(|e| e.to_string()),
        Err("ball record version 1, this peer speaks 2".into())
    );
    assert_eq!(
        Message::decode(&good[..39]),
        Err(WireError::Size { got: 39 })
    );
    let mut kind = good;
    kind[3] = 7;
    assert_eq!(Message::decode(&kind), Err(WireError::Kind(7)));
    for k in 2..=6u8 {
        kind[3] = k;
        let Ok(Message::Control {
            kind: c,
            sender,
            ball,
        }) = Message::decode(&kind)
        else {
            panic!("kind {k} refused");
        };
        assert_eq!((c as u8, sender, ball), (k, 7, 0x0000_0007_0000_0001));
    }
    let mut nan = good;
    nan[32..36].copy_from_slice(&f32::NAN.to_be_bytes());
    assert!(matches!(Message::decode(&nan), Err(WireError::Ball { .. })));
    let mut huge = good;
    huge[32..36].copy_from_slice(&0.3f32.to_be_bytes());
    assert!(matches!(
        Message::decode(&huge),
        Err(WireError::Ball { .. })
    ));
}

proptest! {
    #[test]
    fn any_bytes_decode_or_are_refused(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Message::decode(&data);
    }

    #[test]
    fn balls_round_trip(
        sender in any::<u32>(), id in any::<u64>(), depth in 0.0f64..1.0,
        y in 0.0f64..1.0, vx in -10.0f64..10.0, vy in -10.0f64..10.0,
        radius in 0.001f64..0.25, colour in any::<[u8; 3]>(),
    ) {
        let ball = Ball { id, x: 0.0, y, vx, vy, radius, colour };
        let msg = Message::Ball { sender, depth, ball };
        let back = Message::decode(&msg.encode());
        match back {
            Ok(Message::Ball { sender: s, depth: d, ball: b }) => {
                prop_assert_eq!(s, sender);
                prop_assert_eq!(b.id, id);
                prop_assert_eq!(b.colour, colour);
                prop_assert!((d - depth).abs() < 1e-6 && (b.vx - vx).abs() < 1e-5);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
