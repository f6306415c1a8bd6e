use super::*;

fn values(event: &Event) -> Vec<(String, f32)> {
    match &event.what {
        Some(What::Summary(s)) => s
            .value
            .iter()
            .filter_map(|v| match v.value {
                Some(Kind::SimpleValue(x)) => Some((v.tag.clone(), x)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_scalar_event_is_the_protobuf_bytes_written_out_by_hand() {
    let mut event = scalars(3, &[("a".into(), 2.0)]);
    event.wall_time = 1.5;
    let mut expected = vec![0x09]; // field 1, 64-bit: wall_time
    expected.extend(1.5f64.to_le_bytes());
    expected.extend([0x10, 0x03]); // field 2, varint: step 3
    // field 5 (summary), length-delimited: { field 1 (value): { tag "a", simple_value 2.0 } }
    let mut value = vec![0x0a, 0x01, b'a', 0x15];
    value.extend(2.0f32.to_le_bytes());
    let mut summary = vec![0x0a, value.len() as u8];
    summary.extend(value);
    expected.extend([0x2a, summary.len() as u8]);
    expected.extend(summary);
    assert_eq!(event.encode_to_vec(), expected);
}

#[test]
fn an_event_file_is_created_appended_deduplicated_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let tb = dir.path().join("tensorboard");
    let mut file = EventFile::open(&tb).unwrap();
    let name = file
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let parts: Vec<&str> = name.strip_prefix(PREFIX).unwrap().splitn(2, '.').collect();
    assert!(parts[0].parse::<u64>().unwrap() > 1_700_000_000, "{name}");
    assert_eq!(parts[1], host());
    file.append(&scalars(1, &[("train/loss".into(), 0.5)]))
        .unwrap();
    file.append(&scalars(2, &[("train/loss".into(), 0.25)]))
        .unwrap();
    assert!(file.has(2, "train/loss") && !file.has(3, "train/loss"));
    drop(file);

    // Reopened: what is there counts, a repeat is skipped, a new step is appended.
    let mut file = EventFile::open(&tb).unwrap();
    assert!(file.has(1, "train/loss"));
    file.append(&scalars(2, &[("train/loss".into(), 9.0)]))
        .unwrap();
    file.append(&scalars(3, &[("train/loss".into(), 0.125)]))
        .unwrap();
    let path = file.path().to_path_buf();
    drop(file);
    let events = read(&path).unwrap();
    assert_eq!(
        events[0].what,
        Some(What::FileVersion("brain.Event:2".into()))
    );
    let steps: Vec<(i64, Vec<(String, f32)>)> =
        events[1..].iter().map(|e| (e.step, values(e))).collect();
    assert_eq!(
        steps,
        vec![
            (1, vec![("train/loss".to_string(), 0.5)]),
            (2, vec![("train/loss".to_string(), 0.25)]),
            (3, vec![("train/loss".to_string(), 0.125)]),
        ]
    );

    // A writer killed mid-record: the torn tail is cut and the file continues cleanly.
    let whole = std::fs::metadata(&path).unwrap().len();
    let mut torn = OpenOptions::new().append(true).open(&path).unwrap();
    torn.write_all(&record::encode(b"half a record")[..10])
        .unwrap();
    drop(torn);
    let mut file = EventFile::open(&tb).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
    file.append(&scalars(4, &[("train/loss".into(), 0.0625)]))
        .unwrap();
    let events = read(&path).unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(events[4].step, 4);
    assert_eq!(event_files(&tb).unwrap(), vec![path]);
}

#[test]
fn hparams_records_carry_the_plugin_data_tensorboard_parses() {
    let mut hparams = BTreeMap::new();
    hparams.insert("activation".to_string(), string("relu"));
    hparams.insert("lr".to_string(), number(1e-3));
    let event = session_start(hparams.clone(), "relu-lr0.001");
    let Some(What::Summary(summary)) = &event.what else {
        panic!("not a summary")
    };
    let value = &summary.value[0];
    assert_eq!(value.tag, SESSION_START_TAG);
    // The 6-byte empty float tensor TensorBoard's hparams.summary writes.
    let Some(Kind::Tensor(tensor)) = &value.value else {
        panic!("no tensor")
    };
    assert_eq!(
        tensor.encode_to_vec(),
        vec![0x08, 0x01, 0x12, 0x02, 0x12, 0x00]
    );
    let plugin = value
        .metadata
        .as_ref()
        .unwrap()
        .plugin_data
        .as_ref()
        .unwrap();
    assert_eq!(plugin.plugin_name, "hparams");
    let data = HParamsPluginData::decode(plugin.content.as_slice()).unwrap();
    assert_eq!(data.version, 0);
    let Some(Data::SessionStartInfo(info)) = data.data else {
        panic!("not a session start")
    };
    assert_eq!(info.hparams, hparams);
    assert_eq!(info.group_name, "relu-lr0.001");

    let dir = tempfile::tempdir().unwrap();
    let path = write_whole(
        dir.path(),
        "events.out.tfevents.0.x",
        std::slice::from_ref(&event),
    )
    .unwrap();
    let events = read(&path).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], event);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "no temporary file left");
}

#[test]
fn unreadable_places_are_errors_that_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let error = EventFile::open(&file).unwrap_err().to_string();
    assert!(error.starts_with(&file.display().to_string()), "{error}");
    let garbage = dir.path().join("tb");
    std::fs::create_dir(&garbage).unwrap();
    // Checksums right, payload not a protobuf Event.
    std::fs::write(
        garbage.join(format!("{PREFIX}1.h")),
        record::encode(&[0xff; 8]),
    )
    .unwrap();
    let error = EventFile::open(&garbage).unwrap_err().to_string();
    assert!(error.contains("not a TensorBoard event file"), "{error}");
}
