#![allow(clippy::unwrap_used)]
//! The downloader against a local HTTP server, and the Debian-package fallback with stand-in
//! tools. Nothing here touches the network.

mod common;

use std::collections::HashMap;
use std::path::Path;

use actlab_data::download::download_dataset;
use actlab_data::{DataError, DownloadError, Silent, SourceKind, Sources};
use actlab_format::dataset::DatasetName;
use actlab_format::dataset::FileSpec;
use common::{FILES, Reply, gzip, serve, write_dataset};

/// The test downloads real-looking archives whose MD5 it cannot forge, so it checks the
/// published-checksum path with a spec of its own.
fn spec_for(body: &[u8]) -> FileSpec {
    use md5::{Digest, Md5};
    let md5 = format!("{:x}", Md5::digest(body));
    FileSpec {
        role: actlab_format::dataset::FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: Box::leak(md5.into_boxed_str()),
        raw_sha256: "",
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_defaults()
}

fn fetch_one(base: &str, spec: &FileSpec, dest: &Path) -> Result<(), DownloadError> {
    let url = format!("{base}/{}", spec.gz_name());
    actlab_data::download::download_file(&agent(), &url, spec, dest, &mut Silent)
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_verified_download_lands_atomically() {
    let body = gzip(&common::labels(50).to_bytes());
    let spec = spec_for(&body);
    let route = format!("/{}", spec.gz_name());
    let (base, log) = serve(HashMap::from([(route.clone(), Reply::ok(body.clone()))]));
    let dest = tempfile::tempdir().unwrap();
    fetch_one(&base, &spec, dest.path()).unwrap();
    assert_eq!(
        std::fs::read(dest.path().join(spec.gz_name())).unwrap(),
        body
    );
    assert_eq!(leftovers(dest.path()), [spec.gz_name()]);
    assert_eq!(*log.lock().unwrap(), [route]);
}

#[test]
fn bad_downloads_leave_nothing_behind() {
    let body = gzip(&common::labels(50).to_bytes());
    let spec = spec_for(&body);
    let mut tampered = body.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let short = Reply {
        status: 200,
        body: body[..body.len() / 2].to_vec(),
        announce: Some(body.len()),
    };
    let cases = [
        ("/checksum", Reply::ok(tampered), "checksum mismatch"),
        ("/truncated", short, "truncated download"),
    ];
    for (prefix, reply, want) in cases {
        let (base, _) = serve(HashMap::from([(
            format!("{prefix}/{}", spec.gz_name()),
            reply,
        )]));
        let dest = tempfile::tempdir().unwrap();
        let error = fetch_one(&format!("{base}{prefix}"), &spec, dest.path()).unwrap_err();
        assert!(error.to_string().contains(want), "{error}");
        assert!(
            leftovers(dest.path()).is_empty(),
            "{:?}",
            leftovers(dest.path())
        );
    }
    let (base, _) = serve(HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let error = fetch_one(&base, &spec, dest.path()).unwrap_err();
    assert!(
        matches!(error, DownloadError::Status { status: 404, .. }),
        "{error}"
    );
    assert!(leftovers(dest.path()).is_empty());
}

#[test]
fn a_dataset_download_tries_every_mirror_and_checks_published_md5s() {
    // Mirror 1 answers 404 for everything; mirror 2 serves fixture archives. Fixtures are not
    // the published files, so the published MD5s reject them: every mirror is tried, the error
    // is the checksum, nothing is left in the cache.
    let (dead, dead_log) = serve(HashMap::new());
    let routes = FILES
        .iter()
        .map(|f| {
            (
                format!("/{f}.gz"),
                Reply::ok(gzip(&common::labels(5).to_bytes())),
            )
        })
        .collect();
    let (live, live_log) = serve(routes);
    let dest = tempfile::tempdir().unwrap();
    let cache = dest.path().join("fashion-mnist");
    let error = download_dataset(
        DatasetName::FashionMnist,
        &cache,
        &[dead, format!("{live}/")],
        &mut Silent,
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("checksum mismatch") && message.contains("8d4fb7e6c68d"),
        "{message}"
    );
    assert_eq!(*dead_log.lock().unwrap(), ["/train-images-idx3-ubyte.gz"]);
    assert_eq!(*live_log.lock().unwrap(), ["/train-images-idx3-ubyte.gz"]);
    assert!(leftovers(&cache).is_empty());
}

/// A stand-in `apt-get` that builds a real .deb with dpkg-deb from fixture files.
fn fake_apt_get(bin: &Path, payload: &Path) -> std::path::PathBuf {
    let script = bin.join("apt-get");
    let text = format!(
        "#!/bin/sh\n[ \"$1\" = download ] || exit 2\n\
         mkdir -p pkg/DEBIAN pkg/usr/share/datasets\n\
         printf 'Package: %s\\nVersion: 1\\nArchitecture: all\\nMaintainer: t <t@t>\\nDescription: t\\n' \"$2\" > pkg/DEBIAN/control\n\
         cp -r '{}' pkg/usr/share/datasets/fashion-mnist\n\
         dpkg-deb -b pkg \"$2_1_all.deb\" >/dev/null && rm -rf pkg\n",
        payload.display()
    );
    std::fs::write(&script, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn the_debian_package_fallback_unpacks_without_root() {
    if std::process::Command::new("dpkg-deb")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skip(
            "the_debian_package_fallback_unpacks_without_root",
            "dpkg-deb is not installed (the fallback needs it too)",
        );
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let payload = root.path().join("payload");
    write_dataset(&payload, 20, 10, true);
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mut sources = Sources::standard(root.path().join("datasets"));
    sources.system_roots.clear();
    sources.download = false;
    sources.apt = Some(actlab_data::apt::AptTools {
        apt_get: fake_apt_get(&bin, &payload),
        dpkg_deb: "dpkg-deb".into(),
    });
    let found = actlab_data::locate(DatasetName::FashionMnist, &sources, &mut Silent).unwrap();
    assert_eq!(found.source, SourceKind::Apt);
    let cache = root.path().join("datasets/fashion-mnist");
    assert_eq!(found.dir, cache);
    let mut files = leftovers(&cache);
    files.sort();
    let mut want: Vec<String> = FILES.iter().map(|f| format!("{f}.gz")).collect();
    want.sort();
    assert_eq!(files, want, "only the four files, no temporary leftovers");
    let data = actlab_data::load_dir(&cache, DatasetName::FashionMnist).unwrap();
    assert_eq!(data.train.len(), 20);

    // A missing apt-get is a skip with a reason, then the listing error.
    std::fs::remove_dir_all(&cache).unwrap();
    sources.apt = Some(actlab_data::apt::AptTools {
        apt_get: bin.join("no-such-apt-get"),
        dpkg_deb: "dpkg-deb".into(),
    });
    let error = actlab_data::locate(DatasetName::FashionMnist, &sources, &mut Silent).unwrap_err();
    assert!(matches!(error, DataError::NotFound { .. }));
    assert!(
        error.to_string().contains("no-such-apt-get not found"),
        "{error}"
    );
}

/// The real thing, behind a flag: it downloads ~31 MB from Debian's archive.
#[test]
fn the_real_debian_package() {
    if std::env::var_os("ACTLAB_TEST_APT").is_none() {
        common::skip(
            "the_real_debian_package",
            "set ACTLAB_TEST_APT=1 to run apt-get download dataset-fashion-mnist",
        );
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let mut sources = Sources::standard(root.path().join("datasets"));
    sources.system_roots.clear();
    sources.download = false;
    let found = actlab_data::locate(DatasetName::FashionMnist, &sources, &mut Silent).unwrap();
    assert_eq!(found.source, SourceKind::Apt);
    let data = actlab_data::load_dir(&found.dir, DatasetName::FashionMnist).unwrap();
    assert_eq!(data.identify(), Some(DatasetName::FashionMnist));
}
