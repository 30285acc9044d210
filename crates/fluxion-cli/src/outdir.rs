//! The output directory: checked before the solve, and its set of files replaced as a whole.
//!
//! # Protocol
//!
//! A run's files form a *set*, listed in the manifest `.fluxion-manifest` (one
//! `name<TAB>bytes` line per file). fluxion only ever deletes files that a manifest lists, so
//! a user's own files in the output directory (e.g. `--out .`) are never touched.
//!
//! 1. [`OutDir::prepare`], before the solve: create the directory if needed, refuse a path
//!    that is a file or cannot be created or written, refuse a directory that another live
//!    fluxion run is writing to, finish or discard what a killed run left behind
//!    ([`recover`]), and create the staging directory `.fluxion-staging-<pid>` (which proves
//!    that the directory is writable).
//! 2. [`OutDir::commit`], after the solve: write every file and the new manifest into the
//!    staging directory and sync them. A kill or an error up to here leaves the previous set
//!    untouched; the staging directory is removed on error, or by the next run after a kill.
//! 3. The commit point: the staging directory is renamed to `.fluxion-commit-<pid>` (one
//!    atomic rename). From here on the new set is the valid one.
//! 4. Roll forward: each file is renamed into place; files of the previous set that the new
//!    set does not contain (e.g. `timeseries.csv` of a transient run followed by a steady
//!    run) are deleted; the new manifest is renamed into place last, and the commit
//!    directory is removed. Every step is idempotent: if a kill interrupts it, the next run
//!    (step 1) finds the commit directory and completes it before doing anything else.
//!
//! So after a kill at any point the directory holds the previous complete set, or the new
//! one once the next fluxion run has completed the interrupted renames of step 4 (a window
//! of a few renames).
//!
//! A directory written without a manifest (by fluxion before this protocol, or by hand)
//! is treated as holding no fluxion set: files the new set contains are replaced, nothing
//! else is deleted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use fluxion::output::OutputFile;

/// File name of the manifest of the current set.
pub const MANIFEST: &str = ".fluxion-manifest";
const STAGING: &str = ".fluxion-staging-";
const COMMIT: &str = ".fluxion-commit-";

/// An I/O failure, with the path and what to do.
#[derive(Debug)]
pub struct IoFailure(pub String);

/// A prepared output directory (see the module docs).
pub struct OutDir {
    dir: PathBuf,
    staging: PathBuf,
    /// The directory did not exist before this run (removed again if the run fails and it
    /// is empty).
    created: bool,
    /// What [`recover`] did, for the terminal.
    pub recovered: Vec<String>,
}

/// Test hook: `FLUXION_TEST_KILL_AT=<point>` ends the process at once at that point of the
/// protocol (`staged`, `committed`, `moved-one`, `moved-all`), as a kill would: no cleanup
/// runs, and the exit code is 137 (that of SIGKILL in a shell; `exit` rather than `abort`,
/// so that no core file is written). Used by the CLI tests only; it has no other effect.
fn kill_point(point: &str) {
    if std::env::var("FLUXION_TEST_KILL_AT").is_ok_and(|p| p == point) {
        std::process::exit(137);
    }
}

fn io(what: &str, path: &Path, e: &std::io::Error, fix: &str) -> IoFailure {
    IoFailure(format!("{what} {}: {e}\n  fix: {fix}", path.display()))
}

/// Is the process `pid` a live fluxion process? Staging and commit directories are named
/// after the pid of the run that made them; the name check guards against reused pids.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return fs::read_to_string(proc.join(pid.to_string()).join("comm"))
            .is_ok_and(|c| c.trim().starts_with("fluxion"));
    }
    #[cfg(unix)]
    {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The file names of a manifest (empty if there is none).
fn read_manifest(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .filter_map(|l| l.split('\t').next())
                // Only plain names: a manifest can never make fluxion delete outside `dir`.
                .filter(|n| !n.contains('/') && !n.contains('\\') && *n != "..")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `(pid, path)` of every staging (`prefix = STAGING`) or commit directory in `dir`.
fn leftovers(dir: &Path, prefix: &str) -> Result<Vec<(u32, PathBuf)>, IoFailure> {
    let mut v = vec![];
    let entries = fs::read_dir(dir).map_err(|e| {
        io(
            "cannot list the output directory",
            dir,
            &e,
            "check its permissions",
        )
    })?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(pid) = name.strip_prefix(prefix) {
            // A name that is not a pid is not ours to judge; treat it as dead (pid 0).
            v.push((pid.parse().unwrap_or(0), e.path()));
        }
    }
    v.sort();
    Ok(v)
}

/// Complete the roll forward (step 4) of a committed set in `commit`.
fn roll_forward(dir: &Path, commit: &Path) -> Result<(), IoFailure> {
    let fix = "check the permissions of the output directory, then run again";
    let new_manifest = commit.join(MANIFEST);
    if new_manifest.exists() {
        let new = read_manifest(&new_manifest);
        for name in &new {
            let from = commit.join(name);
            if from.exists() {
                fs::rename(&from, dir.join(name))
                    .map_err(|e| io("cannot move into place", &from, &e, fix))?;
                kill_point("moved-one");
            }
        }
        kill_point("moved-all");
        for name in read_manifest(&dir.join(MANIFEST)) {
            if !new.contains(&name) {
                let old = dir.join(&name);
                match fs::remove_file(&old) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io("cannot remove the previous output", &old, &e, fix)),
                }
            }
        }
        fs::rename(&new_manifest, dir.join(MANIFEST))
            .map_err(|e| io("cannot move into place", &new_manifest, &e, fix))?;
    }
    fs::remove_dir_all(commit).map_err(|e| io("cannot remove", commit, &e, fix))
}

/// Finish what killed runs left in `dir`: complete a committed set, remove staging
/// directories. Returns what was done (one line each); refuses if a live run is writing.
pub fn recover(dir: &Path) -> Result<Vec<String>, IoFailure> {
    let mut done = vec![];
    let busy = |pid: u32, p: &Path| {
        IoFailure(format!(
            "the output directory {} is being written by another fluxion run (pid {pid}, {})\n  fix: wait for it to finish, or choose another directory with --out",
            dir.display(),
            p.display()
        ))
    };
    for (pid, p) in leftovers(dir, COMMIT)? {
        if alive(pid) && pid != std::process::id() {
            return Err(busy(pid, &p));
        }
        roll_forward(dir, &p)?;
        done.push(format!(
            "completed the output set of an interrupted run (pid {pid}) in {}",
            dir.display()
        ));
    }
    for (pid, p) in leftovers(dir, STAGING)? {
        if alive(pid) && pid != std::process::id() {
            return Err(busy(pid, &p));
        }
        fs::remove_dir_all(&p).map_err(|e| {
            io(
                "cannot remove the stale staging directory",
                &p,
                &e,
                "remove it by hand",
            )
        })?;
        done.push(format!(
            "removed the temporary files of an interrupted run (pid {pid}): {}",
            p.display()
        ));
    }
    Ok(done)
}

impl OutDir {
    /// Step 1 of the protocol: check and prepare `dir` before the solve.
    pub fn prepare(dir: &Path) -> Result<OutDir, IoFailure> {
        if dir.exists() && !dir.is_dir() {
            return Err(IoFailure(format!(
                "the output path {} is a file, not a directory\n  fix: choose a directory with --out (it is created if missing), or move the file away",
                dir.display()
            )));
        }
        let created = !dir.exists();
        fs::create_dir_all(dir).map_err(|e| {
            io(
                "cannot create the output directory",
                dir,
                &e,
                "choose a path whose parent directories are directories you can write, with --out",
            )
        })?;
        let recovered = match recover(dir) {
            Ok(r) => r,
            Err(e) => {
                if created {
                    let _ = fs::remove_dir(dir);
                }
                return Err(e);
            }
        };
        let staging = dir.join(format!("{STAGING}{}", std::process::id()));
        if let Err(e) = fs::create_dir(&staging) {
            if created {
                let _ = fs::remove_dir(dir);
            }
            return Err(io(
                "cannot write to the output directory",
                dir,
                &e,
                "make it writable, or choose another directory with --out",
            ));
        }
        Ok(OutDir {
            dir: dir.to_path_buf(),
            staging,
            created,
            recovered,
        })
    }

    /// Give up (the solve failed): remove the staging directory, and the output directory
    /// if this run created it and it is empty. The previous set is untouched.
    pub fn abandon(self) {
        let _ = fs::remove_dir_all(&self.staging);
        if self.created {
            let _ = fs::remove_dir(&self.dir);
        }
    }

    /// Steps 2-4 of the protocol: replace the set of files in the directory by `files`.
    pub fn commit(self, files: &[OutputFile]) -> Result<(), IoFailure> {
        match self.stage(files) {
            Ok(()) => {}
            Err(e) => {
                self.abandon();
                return Err(e);
            }
        }
        kill_point("staged");
        let commit = self.dir.join(format!("{COMMIT}{}", std::process::id()));
        fs::rename(&self.staging, &commit).map_err(|e| {
            let _ = fs::remove_dir_all(&self.staging);
            io(
                "cannot commit the new outputs in",
                &self.dir,
                &e,
                "check the permissions of the output directory",
            )
        })?;
        kill_point("committed");
        roll_forward(&self.dir, &commit)
    }

    fn stage(&self, files: &[OutputFile]) -> Result<(), IoFailure> {
        let fix = "free disk space or choose another directory with --out";
        let mut manifest = format!(
            "# the set of files that fluxion {} wrote here; fluxion deletes only files listed here\n",
            env!("CARGO_PKG_VERSION")
        );
        for f in files {
            if f.name.contains('/') || f.name.contains('\\') || f.name.starts_with(".fluxion-") {
                return Err(IoFailure(format!(
                    "internal error: output file name {:?} is not a plain name",
                    f.name
                )));
            }
            let path = self.staging.join(&f.name);
            write_synced(&path, &f.bytes).map_err(|e| io("cannot write", &path, &e, fix))?;
            manifest += &format!("{}\t{}\n", f.name, f.bytes.len());
        }
        let path = self.staging.join(MANIFEST);
        write_synced(&path, manifest.as_bytes()).map_err(|e| io("cannot write", &path, &e, fix))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
