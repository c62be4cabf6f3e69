# Copyright (c) mmext contributors. All rights reserved.
import math
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from scipy.io import wavfile

from mmext.datasets.gesture import (SMPLX_JOINTS, SMPLX_PARENTS,
                                    GestureDataset, Skeleton,
                                    cached_audio_features, convert_beat,
                                    convert_beat2, load_clip, read_bvh,
                                    resample, smplx_forward_kinematics,
                                    write_bvh)
from mmext.datasets.gesture.synthetic import generate_beat_demo


def test_bvh_forward_kinematics_hand_computed(tmp_path):
    path = str(tmp_path / 'chain.bvh')
    names, parents = ['root', 'a', 'b'], [-1, 0, 1]
    off = np.array([[0., 0, 0], [1, 0, 0], [2, 0, 0]])
    chans = [['Xposition', 'Yposition', 'Zposition', 'Zrotation',
              'Yrotation', 'Xrotation'], ['Zrotation', 'Yrotation',
                                          'Xrotation'],
             ['Zrotation', 'Yrotation', 'Xrotation']]
    # frame 0: root at (5,0,0) turned 90 deg about z; joint a bent 90 about y
    motion = np.array([[5., 0, 0, 90, 0, 0, 0, 90, 0, 0, 0, 0]])
    write_bvh(path, names, parents, off, chans, motion, 1 / 120)
    bvh = read_bvh(path)
    assert bvh.names == names and bvh.parents == parents
    assert bvh.fps == pytest.approx(120)
    pos = bvh.forward_kinematics()
    # a = root + Rz90 (1,0,0) = (5,1,0); b = a + Rz90 Ry90 (2,0,0):
    # Ry90 (2,0,0) = (0,0,-2); Rz90 keeps it -> (5,1,-2)
    np.testing.assert_allclose(pos[0], [[5, 0, 0], [5, 1, 0], [5, 1, -2]],
                               atol=1e-9)
    with pytest.raises(ValueError, match='depth-first'):
        write_bvh(path, ['r', 'a', 'b', 'c'], [-1, 0, 0, 1], np.zeros(
            (4, 3)), [['Zrotation']] * 4, np.zeros((1, 4)), 0.1)


def test_resample_linear():
    ramp = np.arange(121, dtype=float)[:, None] / 120.  # 1 s at 120 fps
    out = resample(ramp, 120, 15)
    np.testing.assert_allclose(out[:, 0], np.arange(16) / 15.)


@pytest.fixture(scope='module')
def beat_src(tmp_path_factory):
    src = tmp_path_factory.mktemp('beat_src')
    generate_beat_demo(str(src), dict(train=1, val=1), duration=3., seed=1)
    return str(src)


def test_convert_beat_fk_resample_splits(beat_src, tmp_path):
    out = str(tmp_path / 'beat')
    splits = convert_beat(beat_src, out, fps=30,
                          split_csv=osp.join(beat_src,
                                             'train_test_split.csv'))
    assert splits == dict(train=['1_synth_0_1_1'], val=['2_synth_0_2_2'],
                          test=[])
    clip = load_clip(osp.join(out, 'clips', '1_synth_0_1_1.npz'))
    bvh = read_bvh(osp.join(beat_src, '1_synth_0_1_1.bvh'))
    fk = bvh.forward_kinematics(0.01)
    assert clip["joints"].shape == (90, 75, 3)  # 360 frames at 120 fps
    # every 4th 120-fps frame is a 30-fps frame
    np.testing.assert_allclose(clip['joints'], fk[::4], atol=1e-5)
    assert clip['sr'] == 16000 and clip['speaker_id'] == 1
    sk = Skeleton.load(osp.join(out, 'skeleton.json'))
    assert sk.parents == bvh.parents == Skeleton.load('beat').parents
    assert len(sk.hand_indices) == 46
    assert 'RHand' not in sk.hand_joints and 'RHandT1' in sk.hand_joints
    # bone lengths are the BVH offsets (cm -> m), in every frame
    lengths = sk.bone_lengths(clip['joints'])
    ref = np.array([np.linalg.norm(bvh.offsets[c]) * 0.01
                    for c, _ in sk.bones])
    np.testing.assert_allclose(lengths, np.broadcast_to(ref, lengths.shape),
                               atol=1e-5)


def test_beat_bad_inputs(beat_src, tmp_path):
    import shutil
    bad = tmp_path / 'bad'
    bad.mkdir()
    text = open(osp.join(beat_src, '1_synth_0_1_1.bvh')).read()
    (bad / '1_x.bvh').write_text(text.replace('JOINT RHandT4', 'JOINT Foo'))
    shutil.copy(osp.join(beat_src, '1_synth_0_1_1.wav'), bad / '1_x.wav')
    with pytest.raises(ValueError, match=r"1_x.bvh: unexpected joint set.*"
                       r"Missing: \['RHandT4'\]; unexpected: \['Foo'\]"):
        convert_beat(str(bad), str(tmp_path / 'o1'))
    (bad / '1_x.bvh').write_text(text)
    wavfile.write(str(bad / '1_x.wav'), 44100, np.zeros(44100, np.int16))
    with pytest.raises(ValueError, match=r'1_x.wav: sample rate 44100 Hz, '
                       'expected 16000'):
        convert_beat(str(bad), str(tmp_path / 'o2'))
    wavfile.write(str(bad / '1_x.wav'), 16000, np.zeros(8000, np.int16))
    with pytest.raises(ValueError, match=r'1_x.wav: audio lasts 0.500 s '
                       r'but the motion in .*1_x.bvh lasts'):
        convert_beat(str(bad), str(tmp_path / 'o3'))
    with pytest.raises(ValueError, match=r'audio lasts 0.500 s but the '
                       'motion'):
        convert_beat(str(bad), str(tmp_path / 'o3'))


def test_dataset_windows_seed_and_cached_features(beat_src, tmp_path):
    out = str(tmp_path / 'beat')
    convert_beat(beat_src, out, fps=15)
    cache = str(tmp_path / 'cache')
    # the data root may be a read-only mount: nothing is written there
    before = sorted(os.walk(out))
    ds = GestureDataset(out, 'train', window=20, stride=5, seed_frames=4,
                        cache_dir=cache)
    assert sorted(os.walk(out)) == before
    assert len(ds) == 2 * (1 + (45 - 20) // 5)  # 2 clips x 45 frames
    item = ds[1]
    motion = item['data_samples']['motion']
    assert motion.shape == (20, 75, 3)
    assert item['inputs']['audio'].shape == (20, 65)
    assert (item['inputs']['seed'] == motion[:4]).all()
    clip = load_clip(osp.join(out, 'clips', f'{ds.clips[0]["id"]}.npz'))
    s = item['data_samples']['start']
    np.testing.assert_allclose(
        motion.numpy(), clip['joints'][s:s + 20] - clip['joints'][s, 0],
        atol=1e-6)
    assert len(os.listdir(cache)) == 2
    # keyed by the clip's content: a copy elsewhere with a new mtime hits
    # the cache (no new file); an edited clip is recomputed
    src = osp.join(out, 'clips', f'{ds.clips[0]["id"]}.npz')
    copy = str(tmp_path / 'copy' / osp.basename(src))
    os.makedirs(osp.dirname(copy))
    shutil.copyfile(src, copy)
    feats = cached_audio_features(copy, clip['audio'], 16000, 15., 45, cache)
    np.testing.assert_array_equal(feats, ds.clips[0]['feats'])
    assert len(os.listdir(cache)) == 2
    with open(copy, 'ab') as f:
        f.write(b'0')
    cached_audio_features(copy, clip['audio'], 16000, 15., 45, cache)
    assert len(os.listdir(cache)) == 3
    with pytest.raises(ValueError, match=r'45 frames, shorter than the '
                       'window of 50 frames'):
        GestureDataset(out, 'train', window=50)
    with pytest.raises(FileNotFoundError, match='splits/test.txt not found'):
        GestureDataset(out, 'test')


def _smplx_model(path, rng, num_verts=110, hand_mean=True):
    j = len(SMPLX_JOINTS)
    kintree = np.stack([np.array(SMPLX_PARENTS, np.int64),
                        np.arange(j)]).astype(np.uint32)
    kintree[0, 0] = 4294967295  # SMPL-X stores the root's parent as -1 u32
    reg = np.zeros((j, num_verts))
    reg[np.arange(j), np.arange(j) * 2] = 1.  # joint k = vertex 2k
    extra = dict(hands_meanl=rng.standard_normal(45) * 0.3,
                 hands_meanr=rng.standard_normal(45) * 0.3)
    extra = extra if hand_mean else {}
    np.savez(path, v_template=rng.standard_normal((num_verts, 3)),
             shapedirs=rng.standard_normal((num_verts, 3, 20)) * 0.01,
             J_regressor=reg, kintree_table=kintree,
             f=np.zeros((4, 3), np.int32), **extra)


def test_convert_beat2_joint_only_smplx(tmp_path):
    rng = np.random.default_rng(0)
    model = str(tmp_path / 'SMPLX_NEUTRAL_2020.npz')
    _smplx_model(model, rng)
    src = tmp_path / 'beat2'
    (src / 'smplxflame_30').mkdir(parents=True)
    (src / 'wave16k').mkdir()
    t = 31
    poses = np.zeros((t, 165))
    poses[:, 2] = np.linspace(0, math.pi / 2, t)  # pelvis about z
    trans = np.zeros((t, 3))
    trans[:, 0] = 1.
    betas = rng.standard_normal(300) * 0.1
    np.savez(src / 'smplxflame_30' / '2_scott_0_1_1.npz', poses=poses,
             trans=trans, betas=betas, expressions=np.zeros((t, 100)),
             mocap_frame_rate=np.array(30))
    wavfile.write(str(src / 'wave16k' / '2_scott_0_1_1.wav'), 16000,
                  np.zeros(16000, np.int16))
    out = str(tmp_path / 'out')
    convert_beat2(str(src), out, model, fps=30, flat_hand_mean=True)
    clip = load_clip(osp.join(out, 'clips', '2_scott_0_1_1.npz'))
    with np.load(model) as z:
        rest = z['J_regressor'] @ (
            z['v_template'] + z['shapedirs'][..., :20] @ betas[:20])
    # frame 0: rest pose + translation; last frame: rotated 90 about z
    np.testing.assert_allclose(clip['joints'][0], rest + trans[0],
                               atol=1e-5)
    rel = rest - rest[0]
    rz = np.array([[0., -1, 0], [1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(clip['joints'][-1],
                               rest[0] + trans[0] + rel @ rz.T, atol=1e-5)
    sk = Skeleton.load(osp.join(out, 'skeleton.json'))
    assert sk.parents == list(SMPLX_PARENTS) and len(sk.hand_indices) == 30
    # the captured rotations are kept as BEAT2 stores them (EMAGE's FGD)
    np.testing.assert_allclose(clip['smplx_poses'], poses, atol=1e-6)
    # at 15 fps: the nearest captured frame to each output frame, not a
    # blend of two rotations
    convert_beat2(str(src), out, model, fps=15, flat_hand_mean=True)
    clip15 = load_clip(osp.join(out, 'clips', '2_scott_0_1_1.npz'))
    assert len(clip15['smplx_poses']) == len(clip15['joints']) == 16
    np.testing.assert_allclose(clip15['smplx_poses'], poses[::2], atol=1e-6)
    # a bent elbow moves the wrist but keeps bone lengths
    poses2 = np.zeros((1, 165))
    poses2[0, 18 * 3 + 1] = 1.0
    pos = smplx_forward_kinematics(rest, list(SMPLX_PARENTS), poses2,
                                   np.zeros((1, 3)))
    np.testing.assert_allclose(
        np.linalg.norm(pos[0, 20] - pos[0, 18]),
        np.linalg.norm(rest[20] - rest[18]))
    with pytest.raises(FileNotFoundError,
                       match=r'SMPL-X model file .*missing.npz not found'):
        convert_beat2(str(src), out, str(tmp_path / 'missing.npz'))
    np.savez(tmp_path / 'bad_model.npz', v_template=np.zeros((3, 3)))
    with pytest.raises(KeyError, match='not an SMPL-X model npz, missing '
                       "keys \\['shapedirs'"):
        convert_beat2(str(src), out, str(tmp_path / 'bad_model.npz'))


def _rodrigues(v):
    """Axis-angle -> rotation matrix, written out (independent of scipy)."""
    theta = float(np.linalg.norm(v))
    if theta < 1e-12:
        return np.eye(3)
    k = np.asarray(v) / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(theta) * kx + (1 - math.cos(theta)) * kx @ kx


def _independent_fk(rest, parents, pose, trans):
    """One frame of SMPL-X joint kinematics with 4x4 rigid transforms
    chained recursively from the root (SMPL's G_k = G_parent @ [R_k |
    J_k - J_parent])."""
    cache = {}

    def world(k):
        if k not in cache:
            m = np.eye(4)
            m[:3, :3] = _rodrigues(pose[3 * k:3 * k + 3])
            p = parents[k]
            m[:3, 3] = rest[k] - (rest[p] if p >= 0 else 0) + (
                trans if p < 0 else 0)
            cache[k] = m if p < 0 else world(p) @ m
        return cache[k]

    return np.stack([world(k)[:3, 3] for k in range(len(parents))])


def test_convert_beat2_adds_the_hand_mean(tmp_path):
    # BEAT2 / EMAGE build SMPL-X with flat_hand_mean=False: the model
    # file's hands_meanl / hands_meanr are added to the hand poses
    rng = np.random.default_rng(1)
    model = str(tmp_path / 'SMPLX_NEUTRAL_2020.npz')
    _smplx_model(model, rng)
    src = tmp_path / 'beat2'
    src.mkdir()
    t = 3
    poses = rng.standard_normal((t, 165)) * 0.2
    trans = rng.standard_normal((t, 3))
    betas = rng.standard_normal(300) * 0.1
    np.savez(src / '2_scott_0_1_1.npz', poses=poses, trans=trans,
             betas=betas, mocap_frame_rate=np.array(30))
    wavfile.write(str(src / '2_scott_0_1_1.wav'), 16000,
                  np.zeros(16000, np.int16))
    convert_beat2(str(src), str(tmp_path / 'out'), model, fps=30)
    got = load_clip(str(tmp_path / 'out' / 'clips' /
                        '2_scott_0_1_1.npz'))['joints']
    with np.load(model) as z:
        rest = z['J_regressor'] @ (
            z['v_template'] + z['shapedirs'][..., :20] @ betas[:20])
        mean_l, mean_r = z['hands_meanl'], z['hands_meanr']
    full = poses.copy()
    full[:, 75:120] += mean_l  # left hand: SMPL-X joints 25-39
    full[:, 120:165] += mean_r  # right hand: joints 40-54
    for f in range(t):
        ref = _independent_fk(rest, list(SMPLX_PARENTS), full[f], trans[f])
        np.testing.assert_allclose(got[f], ref, atol=1e-5)
        flat = _independent_fk(rest, list(SMPLX_PARENTS), poses[f],
                               trans[f])
        # the fingers move by the hand mean; body joints do not
        assert np.abs(got[f, 25:] - flat[25:]).max() > 1e-3
        np.testing.assert_allclose(got[f, :25], flat[:25], atol=1e-5)
    # flat_hand_mean=True keeps the poses as they are
    convert_beat2(str(src), str(tmp_path / 'flat'), model, fps=30,
                  flat_hand_mean=True)
    got = load_clip(str(tmp_path / 'flat' / 'clips' /
                        '2_scott_0_1_1.npz'))['joints']
    np.testing.assert_allclose(got[0], _independent_fk(
        rest, list(SMPLX_PARENTS), poses[0], trans[0]), atol=1e-5)
    # a model file without hand means is an error naming it
    _smplx_model(str(tmp_path / 'nomean.npz'), rng, hand_mean=False)
    with pytest.raises(KeyError, match=r"nomean.npz: no \['hands_meanl', "
                       r"'hands_meanr'\] in the model file"):
        convert_beat2(str(src), str(tmp_path / 'o3'),
                      str(tmp_path / 'nomean.npz'))


def test_convert_beat_reads_beat_joints_in_another_order(beat_src, tmp_path):
    # the same 75 joints and hierarchy, written with the legs before the
    # spine and the left arm before the right one: read by FK in the
    # file's order, stored in BEAT's order
    from mmext.datasets.gesture import write_bvh
    from mmext.datasets.gesture.bvh import depth_first_order
    src = read_bvh(osp.join(beat_src, '1_synth_0_1_1.bvh'))
    names = src.names
    rank = {n: (0 if 'UpLeg' in n or 'Leg' in n or 'Foot' in n or 'Toe' in n
                else 1 if n.startswith('L') else 2) for n in names}
    kids = {k: sorted([c for c, p in enumerate(src.parents) if p == k],
                      key=lambda c: rank[names[c]]) for k in range(75)}
    order = []
    stack = [0]
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(kids[k][::-1])
    assert order != list(range(75)) and sorted(order) == list(range(75))
    inv = {k: i for i, k in enumerate(order)}
    parents = [inv[src.parents[k]] if src.parents[k] >= 0 else -1
               for k in order]
    assert depth_first_order(parents) == list(range(75))
    cols = np.cumsum([0] + [len(c) for c in src.channels])
    motion = np.concatenate([src.motion[:, cols[k]:cols[k + 1]]
                             for k in order], axis=1)
    d = tmp_path / 'reordered'
    d.mkdir()
    write_bvh(str(d / '1_x_0_1_1.bvh'), [names[k] for k in order], parents,
              src.offsets[order], [src.channels[k] for k in order], motion,
              src.frame_time)
    import shutil
    shutil.copy(osp.join(beat_src, '1_synth_0_1_1.wav'),
                d / '1_x_0_1_1.wav')
    out = str(tmp_path / 'out')
    convert_beat(str(d), out, fps=30)
    clip = load_clip(osp.join(out, 'clips', '1_x_0_1_1.npz'))
    np.testing.assert_allclose(clip['joints'],
                               src.forward_kinematics(0.01)[::4], atol=1e-5)
    assert Skeleton.load(osp.join(out, 'skeleton.json')).parents == \
        src.parents


def test_smplx_inverse_kinematics_and_beat2_npz_roundtrip(tmp_path):
    # positions of an SMPL-X -> axis-angle poses -> the same positions;
    # the BEAT2 npz the writer makes (hand mean removed) is read back by
    # the converter to the same joints
    from mmext.datasets.gesture.converters import (smplx_inverse_kinematics,
                                                   write_beat2_npz)
    rng = np.random.default_rng(2)
    model = str(tmp_path / 'SMPLX_NEUTRAL_2020.npz')
    _smplx_model(model, rng)
    with np.load(model) as z:
        rest = z['J_regressor'] @ z['v_template']
    t = 4
    poses = rng.standard_normal((t, 165)) * 0.3
    trans = rng.standard_normal((t, 3))
    joints = smplx_forward_kinematics(rest, list(SMPLX_PARENTS), poses,
                                      trans)
    p2, t2 = smplx_inverse_kinematics(joints, rest, list(SMPLX_PARENTS))
    np.testing.assert_allclose(smplx_forward_kinematics(
        rest, list(SMPLX_PARENTS), p2, t2), joints, atol=1e-9)
    np.testing.assert_allclose(t2, trans, atol=1e-12)
    d = tmp_path / 'gen'
    err = write_beat2_npz(str(d / '2_scott_0_1_1.npz'), joints, model,
                          fps=30.)
    assert err < 1e-9
    with np.load(d / '2_scott_0_1_1.npz') as z:
        assert z['poses'].shape == (t, 165) and z['betas'].shape == (300,)
        assert z['expressions'].shape == (t, 100)
        assert float(z['mocap_frame_rate']) == 30.
    wavfile.write(str(d / '2_scott_0_1_1.wav'), 16000,
                  np.zeros(16000, np.int16))
    convert_beat2(str(d), str(tmp_path / 'out'), model, fps=30)
    back = load_clip(str(tmp_path / 'out' / 'clips' /
                         '2_scott_0_1_1.npz'))['joints']
    np.testing.assert_allclose(back, joints, atol=1e-4)  # float32 poses
    with pytest.raises(ValueError, match=r'joints must be \(T, 55, 3\)'):
        write_beat2_npz(str(d / 'x.npz'), joints[:, :10], model)
    # EMAGE's speaker-2 split: other speakers are left out
    write_beat2_npz(str(d / '3_solomon_0_1_1.npz'), joints, model)
    wavfile.write(str(d / '3_solomon_0_1_1.wav'), 16000,
                  np.zeros(16000, np.int16))
    splits = convert_beat2(str(d), str(tmp_path / 'spk2'), model,
                           speakers=[2])
    assert splits == dict(train=['2_scott_0_1_1'])
    with pytest.raises(FileNotFoundError, match=r'for speakers \[7\]'):
        convert_beat2(str(d), str(tmp_path / 'spk7'), model, speakers=[7])


def test_clip_smplx_poses_round_trip_and_shape_check(tmp_path):
    from mmext.datasets.gesture.clip_format import save_clip
    joints = np.zeros((5, 55, 3), np.float32)
    audio = np.zeros(16000, np.float32)
    poses = np.arange(5 * 165, dtype=np.float32).reshape(5, 165) / 1e3
    path = str(tmp_path / 'c.npz')
    save_clip(path, joints, 15., audio, 16000, 2, smplx_poses=poses)
    np.testing.assert_array_equal(load_clip(path)['smplx_poses'], poses)
    save_clip(path, joints, 15., audio, 16000, 2)
    assert 'smplx_poses' not in load_clip(path)
    with pytest.raises(ValueError, match=r'c.npz: smplx_poses must be '
                       r'\(5, 165\).*got \(4, 165\)'):
        save_clip(path, joints, 15., audio, 16000, 2,
                  smplx_poses=poses[:4])
