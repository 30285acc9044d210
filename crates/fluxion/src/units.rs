//! Physical dimensions and unit strings.
//!
//! The numerical core works in SI numbers only. Unit strings such as `"10 mM"`, `"25 mV"`,
//! `"1 um"` or `"37 degC"` are parsed to SI at the boundary (scenario files, `fluxion calc`).

/// A physical dimension as exponents of the SI base units m, kg, s, A, K, mol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    /// Exponent of the metre.
    pub m: i8,
    /// Exponent of the kilogram.
    pub kg: i8,
    /// Exponent of the second.
    pub s: i8,
    /// Exponent of the ampere.
    pub a: i8,
    /// Exponent of the kelvin.
    pub k: i8,
    /// Exponent of the mole.
    pub mol: i8,
}

impl Dim {
    /// Build a dimension from its exponents (m, kg, s, A, K, mol).
    pub const fn new(m: i8, kg: i8, s: i8, a: i8, k: i8, mol: i8) -> Self {
        Dim {
            m,
            kg,
            s,
            a,
            k,
            mol,
        }
    }
}

/// Named dimensions used across fluxion.
pub mod dims {
    use super::Dim;
    /// Dimensionless.
    pub const DIMENSIONLESS: Dim = Dim::new(0, 0, 0, 0, 0, 0);
    /// Length, m.
    pub const LENGTH: Dim = Dim::new(1, 0, 0, 0, 0, 0);
    /// Time, s.
    pub const TIME: Dim = Dim::new(0, 0, 1, 0, 0, 0);
    /// Temperature, K.
    pub const TEMPERATURE: Dim = Dim::new(0, 0, 0, 0, 1, 0);
    /// Amount concentration, mol/m^3 (= mM).
    pub const CONCENTRATION: Dim = Dim::new(-3, 0, 0, 0, 0, 1);
    /// Electric potential, V = kg m^2 s^-3 A^-1.
    pub const VOLTAGE: Dim = Dim::new(2, 1, -3, -1, 0, 0);
    /// Electric field, V/m.
    pub const FIELD: Dim = Dim::new(1, 1, -3, -1, 0, 0);
    /// Diffusion coefficient, m^2/s.
    pub const DIFFUSIVITY: Dim = Dim::new(2, 0, -1, 0, 0, 0);
    /// Electric mobility, m^2/(V s).
    pub const MOBILITY: Dim = Dim::new(0, -1, 2, 1, 0, 0);
    /// Molar flux density, mol/(m^2 s).
    pub const MOLAR_FLUX: Dim = Dim::new(-2, 0, -1, 0, 0, 1);
    /// Electric current density, A/m^2.
    pub const CURRENT_DENSITY: Dim = Dim::new(-2, 0, 0, 1, 0, 0);
    /// Electric current, A.
    pub const CURRENT: Dim = Dim::new(0, 0, 0, 1, 0, 0);
    /// Surface charge density, C/m^2.
    pub const SURFACE_CHARGE: Dim = Dim::new(-2, 0, 1, 1, 0, 0);
    /// Volume charge density, C/m^3.
    pub const CHARGE_DENSITY: Dim = Dim::new(-3, 0, 1, 1, 0, 0);
    /// Charge, C.
    pub const CHARGE: Dim = Dim::new(0, 0, 1, 1, 0, 0);
    /// Velocity, m/s.
    pub const VELOCITY: Dim = Dim::new(1, 0, -1, 0, 0, 0);
    /// Magnetic flux density, T = kg s^-2 A^-1.
    pub const MAGNETIC_FIELD: Dim = Dim::new(0, 1, -2, -1, 0, 0);
    /// Magnetic flux, Wb = T m^2.
    pub const MAGNETIC_FLUX: Dim = Dim::new(2, 1, -2, -1, 0, 0);
    /// Electrical resistivity, Ohm m.
    pub const RESISTIVITY: Dim = Dim::new(3, 1, -3, -2, 0, 0);
    /// Electrical conductivity, S/m.
    pub const CONDUCTIVITY: Dim = Dim::new(-3, -1, 3, 2, 0, 0);
    /// Energy, J.
    pub const ENERGY: Dim = Dim::new(2, 1, -2, 0, 0, 0);
    /// Molar energy, J/mol.
    pub const MOLAR_ENERGY: Dim = Dim::new(2, 1, -2, 0, 0, -1);
    /// Pressure, Pa.
    pub const PRESSURE: Dim = Dim::new(-1, 1, -2, 0, 0, 0);
    /// Dynamic viscosity, Pa s.
    pub const VISCOSITY: Dim = Dim::new(-1, 1, -1, 0, 0, 0);
    /// Force per length, N/m.
    pub const FORCE_PER_LENGTH: Dim = Dim::new(0, 1, -2, 0, 0, 0);
    /// Force, N.
    pub const FORCE: Dim = Dim::new(1, 1, -2, 0, 0, 0);
    /// Rate, 1/s.
    pub const RATE: Dim = Dim::new(0, 0, -1, 0, 0, 0);
    /// Volumetric reaction rate, mol/(m^3 s).
    pub const REACTION_RATE: Dim = Dim::new(-3, 0, -1, 0, 0, 1);
}
