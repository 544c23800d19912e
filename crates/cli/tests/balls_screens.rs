//! What a person sees: the window under Xvfb (a screenshot whose pixels
//! show balls) and the terminal renderer under tmux. They need Xvfb, xwd
//! (x11-apps) and tmux, which `.ci/test` installs, so they are ignored in a
//! plain `cargo test` and `.ci/test` runs them with `--ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// An Xvfb server on a display no one uses; killed when dropped.
struct Xvfb(Child, String);

impl Xvfb {
    fn start() -> Xvfb {
        for n in 140..200 {
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([&display, "-screen", "0", "1024x700x24", "-nolisten", "tcp"])
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (apt install xvfb)");
            let socket = format!("/tmp/.X11-unix/X{n}");
            let deadline = Instant::now() + Duration::from_secs(10);
            while !Path::new(&socket).exists() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
            }
            return Xvfb(child, display);
        }
        panic!("no free X display in :140..:200");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An X screenshot (xwd's format, 32 bits a pixel) as rows of RGB.
fn screenshot(display: &str) -> (usize, usize, Vec<[u8; 3]>) {
    let out = Command::new("xwd")
        .args(["-root", "-silent", "-display", display])
        .output()
        .expect("xwd (apt install x11-apps)");
    assert!(out.status.success());
    let d = out.stdout;
    let word = |i: usize| {
        u32::from_be_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]]) as usize
    };
    let (header, width, height) = (word(0), word(4), word(5));
    let (bits_per_pixel, bytes_per_line, colours) = (word(11), word(12), word(19));
    assert_eq!(bits_per_pixel, 32);
    let start = header + colours * 12;
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let p = start + y * bytes_per_line + 4 * x;
            // Little-endian 32-bit pixels: blue, green, red, unused.
            pixels.push([d[p + 2], d[p + 1], d[p]]);
        }
    }
    (width, height, pixels)
}

fn save_png(path: &Path, width: usize, height: usize, pixels: &[[u8; 3]]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(file, width as u32, height as u32);
    enc.set_color(png::ColorType::Rgb);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&pixels.concat()).unwrap();
}

fn target_dir() -> PathBuf {
    let exe = assert_cmd::cargo::cargo_bin("tether");
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

#[test]
#[ignore = "needs Xvfb and xwd; .ci/test runs it"]
fn the_window_shows_balls_and_the_status_corner() {
    let x = Xvfb::start();
    let mut peer = Command::new(assert_cmd::cargo::cargo_bin("tether"))
        .args(["balls", "--balls", "8", "--for", "4s", "--name", "xvfb"])
        .args(["--listen", "tcp://127.0.0.1:0"])
        .env("DISPLAY", &x.1)
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(2000));
    let (w, h, pixels) = screenshot(&x.1);
    save_png(&target_dir().join("balls-window.png"), w, h, &pixels);
    assert!(peer.wait().unwrap().success());
    // The balls' colours (the palette of `Peer::add_ball`), and the text.
    let palette: [[u8; 3]; 8] = [
        [239, 71, 111],
        [255, 209, 102],
        [6, 214, 160],
        [17, 138, 178],
        [255, 140, 66],
        [155, 93, 229],
        [241, 91, 181],
        [0, 187, 249],
    ];
    let ball_pixels = pixels.iter().filter(|p| palette.contains(p)).count();
    let colours = palette.iter().filter(|c| pixels.contains(c)).count();
    let text = pixels.iter().filter(|p| **p == [0xd0, 0xd4, 0xdc]).count();
    // Eight balls of radius 0.03 to 0.07 heights on a 600-pixel screen.
    assert!(ball_pixels > 8 * 1000, "{ball_pixels} ball pixels");
    assert!(colours >= 2, "{colours} ball colours");
    assert!(text > 500, "no status corner ({text} text pixels)");
    // Anti-aliased edges: shades between a ball and the background.
    let edges = pixels
        .iter()
        .filter(|p| !palette.contains(p) && p[0] > 40 && p[0] < 200 && p != &&[0xd0, 0xd4, 0xdc])
        .count();
    assert!(edges > 100, "no anti-aliased edges ({edges})");
}

fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs tmux; .ci/test runs it"]
fn the_terminal_shows_balls_and_the_status_line_and_follows_a_resize() {
    let socket = format!("tether-balls-{}", std::process::id());
    let tether = assert_cmd::cargo::cargo_bin("tether");
    let cmd = format!(
        "{} balls --terminal --balls 6 --for 20s --name tui --listen tcp://127.0.0.1:0",
        tether.display()
    );
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            "balls",
            &cmd,
        ],
    );
    let braille = |s: &str| {
        s.chars()
            .filter(|c| ('\u{2801}'..='\u{28ff}').contains(c))
            .count()
    };
    let wait_screen = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = tmux(&socket, &["capture-pane", "-p", "-t", "balls"]);
            if braille(&screen) > 20 && screen.contains("handoffs/s") {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: no balls or status:\n{screen}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    };
    let screen = wait_screen("at start");
    std::fs::write(target_dir().join("balls-terminal.txt"), &screen).unwrap();
    assert!(screen.contains("tui  on tcp://127.0.0.1:"), "{screen}");
    assert!(screen.contains("balls 6"), "{screen}");
    tmux(
        &socket,
        &["resize-window", "-t", "balls", "-x", "70", "-y", "20"],
    );
    thread::sleep(Duration::from_millis(300));
    let small = wait_screen("after a resize");
    assert!(small.lines().all(|l| l.chars().count() <= 70), "{small}");
    tmux(&socket, &["send-keys", "-t", "balls", "q"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tmux(&socket, &["list-sessions"]).contains("balls") {
        assert!(Instant::now() < deadline, "q did not quit");
        thread::sleep(Duration::from_millis(100));
    }
    tmux(&socket, &["kill-server"]);
}
