//! Tests of the block-tridiagonal LU against the banded LU and dense references.

use super::super::testing::{dense_solve, electrodiffusion_like, residual_norm, Rows};
use super::super::{make_solver, BandedLu, SolverChoice, Structure};
use super::*;
use rand::RngExt;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn rows_of(n: usize, e: &[(usize, usize, f64)]) -> Rows {
    let mut rows: Rows = vec![Vec::new(); n];
    for &(i, j, v) in e {
        rows[i].push((j, v));
    }
    rows
}

fn solve_with(s: &mut dyn LinearSolver, e: &[(usize, usize, f64)], b: &[f64]) -> Vec<f64> {
    let m = s.matrix();
    m.clear();
    for &(i, j, v) in e {
        m.add(i, j, v);
    }
    s.factor().unwrap();
    let mut x = b.to_vec();
    s.solve(&mut x).unwrap();
    x
}

/// Random block-tridiagonal matrices, block-diagonally dominant, rows scaled over 12
/// decades and a permuted diagonal block at every third node (zero diagonal entries),
/// against the dense reference and the banded LU, for block counts straddling 1, 2, 3,
/// 255, 256, 257 and block sizes 1-4 and 7 (the unrolled and the generic paths).
#[test]
fn matches_dense_and_banded_references() {
    for b in [1usize, 2, 3, 4, 7] {
        for nb in [1usize, 2, 3, 255, 256, 257] {
            let n = nb * b;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64((nb * 31 + b) as u64);
            let mut e = Vec::new();
            for k in 0..nb {
                let perm = k % 3 == 1 && b > 1;
                for r in 0..b {
                    // Row r of the block is stored at row (r + 1) % b when permuted.
                    let row = k * b + if perm { (r + 1) % b } else { r };
                    let scale = 10f64.powf(rng.random::<f64>() * 12.0 - 6.0);
                    let mut sum = 0.0;
                    for m in [k.wrapping_sub(1), k, k + 1] {
                        if m >= nb {
                            continue;
                        }
                        for c in 0..b {
                            if m == k && c == r {
                                continue;
                            }
                            let v = rng.random::<f64>() - 0.5;
                            sum += v.abs();
                            e.push((row, m * b + c, v * scale));
                        }
                    }
                    e.push((row, k * b + r, (1.0 + sum) * scale));
                }
            }
            let rows = rows_of(n, &e);
            let x: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
            let rhs: Vec<f64> = rows
                .iter()
                .map(|r| r.iter().map(|&(j, v)| v * x[j]).sum())
                .collect();
            let mut bt = BlockTridiagonalLu::new(nb, b).unwrap();
            let y = solve_with(&mut bt, &e, &rhs);
            let w = 2 * b - 1;
            let z = solve_with(&mut BandedLu::new(n, w, w), &e, &rhs);
            let dense = dense_solve(n, &rows, &rhs).unwrap();
            for i in 0..n {
                let tol = 1e-10 * x[i];
                assert!(
                    (y[i] - x[i]).abs() < tol,
                    "b={b} nb={nb} {i}: {} vs {}",
                    y[i],
                    x[i]
                );
                assert!((y[i] - z[i]).abs() < tol && (y[i] - dense[i]).abs() < tol);
            }
        }
    }
}

/// The electrodiffusion-like Jacobian (3x3 blocks, Dirichlet rows, rows with a zero
/// diagonal entry at the left boundary): the same solution as the banded LU with
/// `kl = ku = 5` and as the dense reference, and a row-wise backward error at round-off.
#[test]
fn electrodiffusion_pattern_matches_banded_lu() {
    for nodes in [2usize, 3, 50, 257] {
        let n = 3 * nodes;
        let e = electrodiffusion_like(nodes, nodes as u64);
        let rows = rows_of(n, &e);
        let rhs: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
        let structure = Structure::BlockTridiagonal {
            blocks: nodes,
            block_size: 3,
            coupling: None,
        };
        let mut bt = make_solver(&structure, SolverChoice::Auto).unwrap();
        assert_eq!(bt.name(), "block-tridiagonal LU");
        let y = solve_with(bt.as_mut(), &e, &rhs);
        let mut band = make_solver(&structure, SolverChoice::Banded).unwrap();
        let z = solve_with(band.as_mut(), &e, &rhs);
        let dense = dense_solve(n, &rows, &rhs).unwrap();
        let scale = dense.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..n {
            assert!(
                (y[i] - dense[i]).abs() < 1e-9 * scale,
                "{nodes} {i}: {} vs {}",
                y[i],
                dense[i]
            );
            assert!((z[i] - dense[i]).abs() < 1e-9 * scale);
        }
        assert!(
            residual_norm(&rows, &y, &rhs) < 1e-13,
            "{}",
            residual_norm(&rows, &y, &rhs)
        );
    }
}

/// Above [`PAR_MIN_BLOCKS`] the two chains of the twisted factorization run on two
/// threads: the solution is bit for bit that of the same chains run one after the other,
/// and matches the banded LU, for an odd and an even block count.
#[test]
fn threaded_chains_match_sequential_ones_bitwise() {
    for nodes in [PAR_MIN_BLOCKS + 1, PAR_MIN_BLOCKS + 2] {
        let n = 3 * nodes;
        let e = electrodiffusion_like(nodes, 7);
        let rows = rows_of(n, &e);
        let rhs: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
        let mut par = BlockTridiagonalLu::new(nodes, 3).unwrap();
        assert_eq!(par.chains(), Chains::Threads);
        let y = solve_with(&mut par, &e, &rhs);
        let mut seq = BlockTridiagonalLu::new(nodes, 3).unwrap();
        seq.threads = false;
        assert_eq!(seq.chains(), Chains::Sequential);
        let z = solve_with(&mut seq, &e, &rhs);
        assert!(y.iter().zip(&z).all(|(a, b)| a.to_bits() == b.to_bits()));
        let w = solve_with(&mut BandedLu::new(n, 5, 5), &e, &rhs);
        let scale = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..n {
            assert!(
                (y[i] - w[i]).abs() < 1e-9 * scale,
                "{nodes} {i}: {} vs {}",
                y[i],
                w[i]
            );
        }
        assert!(residual_norm(&rows, &y, &rhs) < 1e-13);
    }
}

/// A zero row in either chain or in the middle block is reported at its own index.
#[test]
fn zero_rows_are_reported_in_both_chains() {
    for row in [1usize, 4, 5, 9] {
        let mut bt = BlockTridiagonalLu::new(5, 2).unwrap();
        let m = bt.matrix();
        m.clear();
        for i in 0..10 {
            m.add(i, i, 1.0);
        }
        m.zero_row(row);
        assert_eq!(bt.factor(), Err(LinearError::Singular(row)), "row {row}");
    }
}

#[test]
fn singular_and_invalid_inputs_are_reported() {
    let mut bt = BlockTridiagonalLu::new(3, 2).unwrap();
    let m = bt.matrix();
    m.clear();
    for i in 0..6 {
        m.add(i, i, 1.0);
    }
    m.zero_row(3);
    assert_eq!(bt.factor(), Err(LinearError::Singular(3)));
    // A singular diagonal block: rows 2 and 3 equal.
    let m = bt.matrix();
    m.clear();
    for i in [0, 1, 4, 5] {
        m.add(i, i, 1.0);
    }
    for i in [2, 3] {
        m.add(i, 2, 1.0);
        m.add(i, 3, 2.0);
    }
    assert!(matches!(bt.factor(), Err(LinearError::Singular(3))));
    assert!(BlockTridiagonalLu::new(4, 0).is_err());
    assert_eq!(bt.get(0, 5), 0.0);
    assert!(make_solver(
        &Structure::BlockTridiagonal {
            blocks: 2,
            block_size: 2,
            coupling: None,
        },
        SolverChoice::SparseLu
    )
    .is_err());
}

/// The coupling mask of [`electrodiffusion_like`]: `c_k`-`c_k`, `c_k`-`phi`, `phi`-`phi`.
const PNP_MASK: [bool; 9] = [true, false, true, false, true, true, false, false, true];

/// Off-diagonal blocks stored compressed (5 of 9 entries) give the solution of dense ones
/// to round-off, on one chain and on two threads, in 152 bytes per node instead of 216.
#[test]
fn compressed_blocks_match_dense_ones() {
    for nodes in [2usize, 3, 50, PAR_MIN_BLOCKS + 3] {
        let n = 3 * nodes;
        let e = electrodiffusion_like(nodes, 11);
        let rhs: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
        let mut sparse = BlockTridiagonalLu::with_coupling(nodes, 3, &PNP_MASK).unwrap();
        let y = solve_with(&mut sparse, &e, &rhs);
        let z = solve_with(&mut BlockTridiagonalLu::new(nodes, 3).unwrap(), &e, &rhs);
        let scale = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..n {
            assert!(
                (y[i] - z[i]).abs() < 1e-12 * scale,
                "{nodes} {i}: {} vs {}",
                y[i],
                z[i]
            );
        }
        assert_eq!(sparse.memory_bytes(), nodes * 152);
        assert!(residual_norm(&rows_of(n, &e), &y, &rhs) < 1e-13);
    }
}

/// A nonzero entry outside the mask, given one by one, as part of a node block or through
/// a split of the rows, makes the factorization fail with the entry named (it is never
/// dropped); zeros there are accepted, and a clear forgets the entry.
#[test]
fn entries_outside_the_mask_are_refused() {
    let nodes = 4;
    let e = electrodiffusion_like(nodes, 3);
    let mut bt = BlockTridiagonalLu::with_coupling(nodes, 3, &PNP_MASK).unwrap();
    let fill = |bt: &mut BlockTridiagonalLu| {
        let m = bt.matrix();
        m.clear();
        for &(i, j, v) in &e {
            m.add(i, j, v);
        }
    };
    fill(&mut bt);
    // (row 4 = field 1 of node 1, column 0 = field 0 of node 0): outside the mask.
    bt.add(4, 0, 0.0);
    bt.factor().unwrap();
    assert_eq!(bt.get(4, 0), 0.0);
    fill(&mut bt);
    bt.add(4, 0, 1e-3);
    let err = bt.factor().unwrap_err().to_string();
    assert!(err.contains("(4, 0)") && err.contains("banded"), "{err}");
    // A clear forgets it; a whole off-diagonal block with a nonzero at a masked-out place.
    fill(&mut bt);
    bt.factor().unwrap();
    let mut block = [0.0; 9];
    block[7] = 2.0; // (2, 1): phi row, c_1 column.
    bt.add_block(6, 3, 3, 3, &block, 1.0);
    let err = bt.factor().unwrap_err().to_string();
    assert!(err.contains("(8, 4)"), "{err}");
    // Through split_rows, in either half; the block of the far node is outside too.
    for (row, col) in [(1usize, 3usize), (10, 6), (0, 9)] {
        fill(&mut bt);
        assert!(bt.split_rows(6, &mut |a, b| {
            if row < 6 {
                a.add(row, col, 1.0)
            } else {
                b.add(row, col, 1.0)
            }
        }));
        let err = bt.factor().unwrap_err().to_string();
        assert!(
            err.contains(&format!("({row}, {col})")),
            "{row} {col}: {err}"
        );
    }
}
