use proptest::prelude::*;

use super::*;

fn ball_strategy(width: f64) -> impl Strategy<Value = Ball> {
    (
        0.01f64..0.2,
        -3.0f64..3.0,
        -3.0f64..3.0,
        0.0f64..1.0,
        0.0f64..1.0,
    )
        .prop_map(move |(radius, vx, vy, fx, fy)| Ball {
            id: 1,
            x: radius + fx * (width - 2.0 * radius),
            y: radius + fy * (1.0 - 2.0 * radius),
            vx,
            vy,
            radius,
            colour: [1, 2, 3],
        })
}

fn inside(ball: &Ball, width: f64) -> bool {
    let eps = 1e-9;
    ball.y - ball.radius >= -eps
        && ball.y + ball.radius <= 1.0 + eps
        && ball.x - ball.radius >= -eps
        && ball.x + ball.radius <= width + eps
}

proptest! {
    #[test]
    fn walls_keep_every_ball_on_screen(
        ball in ball_strategy(1.5),
        steps in 1usize..2000,
        dt in 0.001f64..0.05,
    ) {
        let mut world = World::new(1.5);
        world.balls.push(ball);
        for _ in 0..steps {
            prop_assert!(world.step(dt, Edges::default()).is_empty());
            prop_assert!(inside(&world.balls[0], 1.5), "{:?}", world.balls[0]);
        }
    }

    #[test]
    fn bounces_keep_the_speed(ball in ball_strategy(1.0), steps in 1usize..500) {
        let mut world = World::new(1.0);
        world.balls.push(ball);
        for _ in 0..steps {
            world.step(1.0 / 60.0, Edges::default());
        }
        let after = world.balls[0];
        prop_assert_eq!(after.vx.abs(), ball.vx.abs());
        prop_assert_eq!(after.vy.abs(), ball.vy.abs());
    }

    #[test]
    fn a_ball_leaves_only_through_an_open_edge(
        ball in ball_strategy(1.2),
        left in any::<bool>(),
        right in any::<bool>(),
        steps in 1usize..1000,
    ) {
        let edges = Edges { left, right };
        let mut world = World::new(1.2);
        world.balls.push(ball);
        for _ in 0..steps {
            for exit in world.step(1.0 / 120.0, edges) {
                prop_assert!(edges.open(exit.side));
                prop_assert!(exit.depth >= 0.0 && exit.depth < 0.1);
            }
            for b in &world.balls {
                prop_assert!(b.x >= 0.0 && b.x <= 1.2 && b.y >= 0.0 && b.y <= 1.0);
            }
        }
    }

    #[test]
    fn the_step_does_not_depend_on_the_frame_rate(ball in ball_strategy(1.0)) {
        // The world always moves in fixed steps; what a frame rate changes
        // is only how many steps run between two frames.
        let mut a = World::new(1.0);
        let mut b = World::new(1.0);
        a.balls.push(ball);
        b.balls.push(ball);
        let mut clock_a = crate::clock::Stepper::new(std::time::Duration::from_micros(4167));
        let mut clock_b = crate::clock::Stepper::new(std::time::Duration::from_micros(4167));
        for frame in 1..=60u64 {
            for _ in 0..clock_a.advance(std::time::Duration::from_micros(frame * 33_333)) {
                a.step(clock_a.dt(), Edges::default());
            }
        }
        for frame in 1..=144u64 {
            for _ in 0..clock_b.advance(std::time::Duration::from_nanos(frame * 13_888_889)) {
                b.step(clock_b.dt(), Edges::default());
            }
        }
        prop_assert!((a.balls[0].x - b.balls[0].x).abs() < 0.05);
        prop_assert!((a.balls[0].y - b.balls[0].y).abs() < 0.05);
    }
}

#[test]
fn a_crossing_ball_enters_the_neighbour_where_it_left() {
    let mut here = World::new(1.0);
    here.balls.push(Ball {
        id: 9,
        x: 0.99,
        y: 0.5,
        vx: 1.0,
        vy: 0.0,
        radius: 0.05,
        colour: [0, 0, 0],
    });
    let exits = here.step(
        0.02,
        Edges {
            left: false,
            right: true,
        },
    );
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].side, Side::Right);
    assert!((exits[0].depth - 0.01).abs() < 1e-9);
    let mut next = World::new(2.0);
    next.enter(Side::Left, exits[0].depth, exits[0].ball);
    assert!((next.balls[0].x - 0.01).abs() < 1e-9);
    assert!(next.step(0.01, Edges::default()).is_empty());
    assert!(next.balls[0].vx > 0.0, "moving on, not bounced back");
}

#[test]
fn a_ball_bounced_back_moves_away_from_the_edge() {
    let mut world = World::new(1.0);
    let ball = Ball {
        id: 1,
        x: 1.01,
        y: 0.5,
        vx: 0.5,
        vy: 0.1,
        radius: 0.1,
        colour: [0, 0, 0],
    };
    world.bounce_back(Side::Right, ball);
    assert_eq!(world.balls[0].vx, -0.5);
    assert!(world.balls[0].x + 0.1 <= 1.0 + 1e-12);
}
