//! The shape arithmetic of `CnnConfig`, checked by hand.

use super::*;

fn cnn(input: [usize; 3], blocks: Vec<CnnBlock>, dense: Vec<usize>) -> CnnConfig {
    CnnConfig {
        input,
        blocks,
        global_pool: false,
        dense,
        activation: ActivationConfig::Relu,
        output_size: 10,
        output_activation: None,
        init: Init::Pytorch,
    }
}

#[test]
fn shapes_follow_the_arithmetic_of_convolution_and_pooling() {
    let net = cnn(
        [1, 28, 28],
        vec![
            CnnBlock::conv(6, 5).pooled(2),
            CnnBlock::conv(16, 5).padded(Padding::Valid).pooled(2),
        ],
        vec![120, 84],
    );
    let shapes = net.block_shapes().unwrap();
    assert_eq!(shapes[0].conv, [6, 28, 28]);
    assert_eq!(shapes[0].output, [6, 14, 14]);
    assert_eq!(shapes[1].conv, [16, 10, 10]);
    assert_eq!(shapes[1].output, [16, 5, 5]);
    assert_eq!(net.flat_features().unwrap(), 400);
    // 156 + 2,416 + 48,120 + 10,164 + 850, counted by hand.
    assert_eq!(net.parameter_estimate(), Some(61_706));
}

#[test]
fn bad_shapes_name_the_field_and_the_shape() {
    let too_big = cnn(
        [1, 28, 28],
        vec![
            CnnBlock::conv(8, 3).pooled(4),
            CnnBlock::conv(8, 9).padded(Padding::Valid),
        ],
        vec![],
    );
    let e = too_big.validate().unwrap_err().to_string();
    assert!(e.contains("model.blocks[1].kernel = 9"), "{e}");
    assert!(e.contains("8×7×7"), "{e}");

    let pooled_away = cnn([1, 4, 4], vec![CnnBlock::conv(8, 3).pooled(8)], vec![]);
    let e = pooled_away.validate().unwrap_err().to_string();
    assert!(e.contains("model.blocks[0].pool = 8"), "{e}");
    assert!(e.contains("8×4×4 would become 8×0×0"), "{e}");

    let stride = cnn([1, 7, 7], vec![CnnBlock::residual(16, 2)], vec![]);
    let e = stride.validate().unwrap_err().to_string();
    assert!(e.contains("model.blocks[0].stride = 2"), "{e}");
    assert!(e.contains("1×7×7"), "{e}");

    let huge = cnn([3, 64, 64], vec![CnnBlock::conv(4096, 3)], vec![4096]);
    let e = huge.validate().unwrap_err().to_string();
    assert!(e.contains("at most 100000000"), "{e}");

    let both = cnn(
        [1, 28, 28],
        vec![CnnBlock {
            residual: Some(4),
            ..CnnBlock::conv(4, 3)
        }],
        vec![],
    );
    assert!(
        both.validate()
            .unwrap_err()
            .to_string()
            .contains("exactly one")
    );

    let even = cnn([1, 28, 28], vec![CnnBlock::conv(4, 2)], vec![]);
    assert!(
        even.validate()
            .unwrap_err()
            .to_string()
            .contains("odd kernel")
    );
}

#[test]
fn sequences_use_one_by_k_windows() {
    let net = cnn(
        [1, 1, 40],
        vec![
            CnnBlock::conv(32, 5).pooled(2),
            CnnBlock::conv(32, 3).pooled(2),
        ],
        vec![],
    );
    let shapes = net.block_shapes().unwrap();
    assert_eq!(shapes[0].output, [32, 1, 20]);
    assert_eq!(shapes[1].output, [32, 1, 10]);
    // (1·32·5 + 32) + (32·32·3 + 32) + (320·10 + 10)
    assert_eq!(net.parameter_estimate(), Some(192 + 3104 + 3210));
}

#[test]
fn forward_macs_count_every_weight_use_by_hand() {
    // LeNet-5: 28·28·6·25 + 10·10·16·150 + 120·400 + 120·84 + 84·10.
    let lenet = crate::preset::Preset::Lenet5.config();
    assert_eq!(
        lenet.forward_macs(),
        Some(117_600 + 240_000 + 48_000 + 10_080 + 840)
    );
    // conv 4 (3×3, same) on 1×8×8, then a residual block to 8 channels at stride 2: its first
    // convolution 4→8 on 4×4 outputs, its second 8→8, the 1×1 projection 4→8, then 128 → 10.
    let net = cnn(
        [1, 8, 8],
        vec![CnnBlock::conv(4, 3), CnnBlock::residual(8, 2)],
        vec![],
    );
    let expected = 4 * 64 * 9 + 8 * 16 * 4 * 9 + 8 * 16 * 8 * 9 + 8 * 16 * 4 + 128 * 10;
    assert_eq!(net.forward_macs(), Some(expected));
    // An MLP's are its weights: 784·128 + 128·10.
    let mlp = crate::preset::Preset::PreluMlp.config();
    assert_eq!(mlp.forward_macs(), Some(784 * 128 + 128 * 10));
}
